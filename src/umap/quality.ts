/**
 * The embedding quality measure of issue 7: the share of evaluated points whose `k` nearest
 * fitted points in 3-D carry the point's own label more often than any other label. Fitted
 * points are evaluated without themselves. Brute force, so callers pass a sample of queries.
 */
export function labelAgreement(coords: Float32Array, labels: Int8Array, fitRows: Int32Array, queryRows: Int32Array, k = 10): number {
  if (queryRows.length === 0) return Number.NaN;
  const fitCoords = new Float64Array(fitRows.length * 3);
  fitRows.forEach((row, i) => fitCoords.set(coords.subarray(row * 3, row * 3 + 3), i * 3));
  const bestDist = new Float64Array(k);
  const bestRow = new Int32Array(k);
  const votes = new Int32Array(256);
  let agree = 0;
  for (const query of queryRows) {
    nearestFitted(coords, query, fitCoords, fitRows, bestDist, bestRow);
    votes.fill(0);
    for (const row of bestRow) if (row >= 0) votes[labels[row]! + 128]!++;
    const own = votes[labels[query]! + 128]!;
    let rival = 0;
    votes.forEach((count, label) => {
      if (label !== labels[query]! + 128 && count > rival) rival = count;
    });
    if (own > rival) agree++;
  }
  return agree / queryRows.length;
}

function nearestFitted(
  coords: Float32Array,
  query: number,
  fitCoords: Float64Array,
  fitRows: Int32Array,
  bestDist: Float64Array,
  bestRow: Int32Array,
): void {
  const k = bestDist.length;
  bestDist.fill(Infinity);
  bestRow.fill(-1);
  const x = coords[query * 3]!;
  const y = coords[query * 3 + 1]!;
  const z = coords[query * 3 + 2]!;
  for (let i = 0; i < fitRows.length; i++) {
    if (fitRows[i] === query) continue;
    const dx = fitCoords[i * 3]! - x;
    const dy = fitCoords[i * 3 + 1]! - y;
    const dz = fitCoords[i * 3 + 2]! - z;
    const d = dx * dx + dy * dy + dz * dz;
    if (d >= bestDist[k - 1]!) continue;
    let at = k - 1;
    while (at > 0 && bestDist[at - 1]! > d) {
      bestDist[at] = bestDist[at - 1]!;
      bestRow[at] = bestRow[at - 1]!;
      at--;
    }
    bestDist[at] = d;
    bestRow[at] = fitRows[i]!;
  }
}
