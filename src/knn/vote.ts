import type { KnnResult } from "./types.ts";

/**
 * Distance-weighted majority vote, as scikit-learn's KNeighborsClassifier(weights="distance"):
 * weight 1/d per neighbour; if any neighbour of a query is at distance 0, only those vote,
 * with weight 1 each. Weights are summed in neighbour order (as sklearn's predict_proba does)
 * and the argmax breaks ties towards the lowest class code. Entries with index -1 (padding)
 * are skipped; a query with no neighbour at all gets -1.
 */
export function weightedVote(result: KnnResult, k: number, labels: Int8Array, nClasses: number): Int8Array {
  const queries = result.indices.length / k;
  const predicted = new Int8Array(queries);
  const score = new Float64Array(nClasses);
  for (let q = 0; q < queries; q++) {
    score.fill(0);
    const exactHits = hasZeroDistance(result, q, k);
    let voters = 0;
    for (let i = q * k; i < q * k + k; i++) {
      const row = result.indices[i]!;
      if (row < 0) continue;
      const d = result.distances[i]!;
      if (exactHits && d !== 0) continue;
      const label = labels[row]!;
      if (label < 0 || label >= nClasses) throw new RangeError(`label ${label} of row ${row} is outside 0..${nClasses - 1}`);
      score[label]! += exactHits ? 1 : 1 / d;
      voters++;
    }
    predicted[q] = voters === 0 ? -1 : argmaxLowest(score);
  }
  return predicted;
}

function hasZeroDistance(result: KnnResult, q: number, k: number): boolean {
  for (let i = q * k; i < q * k + k; i++) if (result.indices[i]! >= 0 && result.distances[i] === 0) return true;
  return false;
}

function argmaxLowest(score: Float64Array): number {
  let best = 0;
  for (let c = 1; c < score.length; c++) if (score[c]! > score[best]!) best = c;
  return best;
}
