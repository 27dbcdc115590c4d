/**
 * A square sparse matrix in CSR form with columns sorted inside each row. It replaces umap-js's
 * `Map<"row:col">` matrices: the same arithmetic, on typed arrays, in a fixed order.
 */
export interface Csr {
  readonly size: number;
  /** length size + 1 */
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

/** Builds a CSR from rows given as (cols, values) in any column order; zero values are dropped. */
export function csrFromRows(size: number, width: number, cols: Int32Array, values: Float64Array): Csr {
  const indptr = new Int32Array(size + 1);
  const outCols: number[] = [];
  const outValues: number[] = [];
  const order: number[] = [];
  for (let row = 0; row < size; row++) {
    order.length = 0;
    for (let j = 0; j < width; j++) {
      const at = row * width + j;
      if (cols[at]! >= 0 && values[at]! !== 0) order.push(at);
    }
    order.sort((a, b) => cols[a]! - cols[b]!);
    for (const at of order) {
      outCols.push(cols[at]!);
      outValues.push(values[at]!);
    }
    indptr[row + 1] = outCols.length;
  }
  return { size, indptr, indices: Int32Array.from(outCols), values: Float64Array.from(outValues) };
}

/** The transpose; a counting sort keeps each output row's columns ascending. */
export function transposeCsr(m: Csr): Csr {
  const counts = new Int32Array(m.size + 1);
  for (const col of m.indices) counts[col + 1]!++;
  for (let i = 0; i < m.size; i++) counts[i + 1]! += counts[i]!;
  const indptr = counts.slice();
  const fill = counts.slice(0, m.size);
  const indices = new Int32Array(m.indices.length);
  const values = new Float64Array(m.indices.length);
  for (let row = 0; row < m.size; row++) {
    for (let p = m.indptr[row]!; p < m.indptr[row + 1]!; p++) {
      const at = fill[m.indices[p]!]!++;
      indices[at] = row;
      values[at] = m.values[p]!;
    }
  }
  return { size: m.size, indptr, indices, values };
}

/**
 * The fuzzy set union M + Mᵀ − M∘Mᵀ (umap-learn's symmetrisation with set_op_mix_ratio 1),
 * dropping entries that come out as exactly zero, as umap-js's eliminateZeros does.
 */
export function fuzzyUnion(m: Csr): Csr {
  const t = transposeCsr(m);
  const indptr = new Int32Array(m.size + 1);
  const indices = new Int32Array(m.indices.length * 2);
  const values = new Float64Array(m.indices.length * 2);
  let out = 0;
  for (let row = 0; row < m.size; row++) {
    let p = m.indptr[row]!;
    let q = t.indptr[row]!;
    const pEnd = m.indptr[row + 1]!;
    const qEnd = t.indptr[row + 1]!;
    while (p < pEnd || q < qEnd) {
      const pc = p < pEnd ? m.indices[p]! : m.size;
      const qc = q < qEnd ? t.indices[q]! : m.size;
      const col = pc < qc ? pc : qc;
      const a = pc === col ? m.values[p++]! : 0;
      const b = qc === col ? t.values[q++]! : 0;
      const value = a + b - a * b;
      if (value !== 0) {
        indices[out] = col;
        values[out++] = value;
      }
    }
    indptr[row + 1] = out;
  }
  return { size: m.size, indptr, indices: indices.slice(0, out), values: values.slice(0, out) };
}

/** A copy with `scale(value, row, col)` applied to every entry; exact zeros are dropped. */
export function mapCsr(m: Csr, scale: (value: number, row: number, col: number) => number): Csr {
  const indptr = new Int32Array(m.size + 1);
  const indices = new Int32Array(m.indices.length);
  const values = new Float64Array(m.indices.length);
  let out = 0;
  for (let row = 0; row < m.size; row++) {
    for (let p = m.indptr[row]!; p < m.indptr[row + 1]!; p++) {
      const value = scale(m.values[p]!, row, m.indices[p]!);
      if (value === 0) continue;
      indices[out] = m.indices[p]!;
      values[out++] = value;
    }
    indptr[row + 1] = out;
  }
  return { size: m.size, indptr, indices: indices.slice(0, out), values: values.slice(0, out) };
}

/** Largest value of each row (0 for an empty row). */
export function rowMax(m: Csr): Float64Array {
  const max = new Float64Array(m.size);
  for (let row = 0; row < m.size; row++) {
    for (let p = m.indptr[row]!; p < m.indptr[row + 1]!; p++) if (m.values[p]! > max[row]!) max[row] = m.values[p]!;
  }
  return max;
}
