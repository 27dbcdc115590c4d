import type { KnnResult } from "../knn/index.ts";
import type { NeighbourLists } from "./fuzzy.ts";

/** Position of each data row in the fit set, -1 for rows outside it. */
export function fitPositions(totalRows: number, fitRows: Int32Array): Int32Array {
  const positions = new Int32Array(totalRows).fill(-1);
  fitRows.forEach((row, i) => {
    positions[row] = i;
  });
  return positions;
}

/**
 * The fit graph's lists, in fit positions, with each point itself in slot 0 at distance 0, as
 * umap-learn's own search returns them and as smooth_knn_dist assumes (it skips slot 0). The
 * exact search sorts ties by row id, so with duplicate rows a point may come after its twin, or
 * (more than k twins) be missing: it is moved or put first, and the last neighbour dropped.
 */
export function selfFirstLists(result: KnnResult, firstPoint: number, k: number, positions: Int32Array): NeighbourLists {
  const count = result.indices.length / k;
  const indices = new Int32Array(count * k);
  const distances = new Float64Array(count * k);
  for (let q = 0; q < count; q++) {
    const self = firstPoint + q;
    indices[q * k] = self;
    distances[q * k] = 0;
    let out = 1;
    for (let j = 0; j < k && out < k; j++) {
      const row = result.indices[q * k + j]!;
      const at = row < 0 ? -1 : positions[row]!;
      if (at === self) continue;
      indices[q * k + out] = at;
      distances[q * k + out++] = at < 0 ? Infinity : result.distances[q * k + j]!;
    }
  }
  return { count, k, indices, distances };
}

/** Neighbours of outside points, re-indexed from data rows to fit positions. */
export function fitPositionLists(result: KnnResult, k: number, positions: Int32Array): NeighbourLists {
  const indices = result.indices.map((row) => (row < 0 ? -1 : positions[row]!));
  return { count: indices.length / k, k, indices, distances: result.distances };
}
