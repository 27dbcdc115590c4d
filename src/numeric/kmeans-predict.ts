import { assignNearest } from "./kmeans-assign.ts";

export interface KMeansLabels {
  readonly labels: Int32Array;
  /** centres reordered to match the canonical labels (k × cols float64) */
  readonly centres: Float64Array;
  /** Σ squared distance of all rows to their centre */
  readonly inertia: number;
}

/**
 * Labels every row of `data` by its nearest centre, then renumbers clusters by first
 * appearance (row 0's cluster becomes 0, the next new one 1, ...; clusters no row uses keep
 * their relative order at the end), so equal fits give equal bytes whatever order the
 * centres came out of the fit in.
 */
export function predictCanonical(data: Float32Array, rows: number, cols: number, centres: Float64Array, k: number): KMeansLabels {
  const raw = new Int32Array(rows);
  const inertia = assignNearest({ data, cols, count: rows }, centres, k, raw);
  const order = firstAppearanceOrder(raw, k);
  const rename = new Int32Array(k);
  order.forEach((old, fresh) => (rename[old] = fresh));
  const labels = raw.map((label) => rename[label]!);
  const reordered = new Float64Array(k * cols);
  order.forEach((old, fresh) => reordered.set(centres.subarray(old * cols, (old + 1) * cols), fresh * cols));
  return { labels, centres: reordered, inertia };
}

function firstAppearanceOrder(labels: Int32Array, k: number): number[] {
  const seen = new Uint8Array(k);
  const order: number[] = [];
  for (const label of labels) {
    if (seen[label] === 0) {
      seen[label] = 1;
      order.push(label);
    }
  }
  for (let c = 0; c < k; c++) if (seen[c] === 0) order.push(c);
  return order;
}
