/**
 * A deliberately plain reference pipeline for checking the demo data's difficulty: median
 * impute + z-score (drop std ≤ 1e-6), brute-force KNN with 1/d votes, macro F1. Independent of
 * the project's own stages so the demo data is judged by a second implementation.
 */
import { createRng } from "../../../src/core/rng.ts";

export interface ProbeData {
  /** feature columns as read from the parquet */
  columns: ArrayLike<number>[];
  phase: ArrayLike<number>;
  host: readonly string[];
  episode: readonly string[];
  /** episode → status */
  status: ReadonlyMap<string, string>;
}

/** Row-major standardized matrix (NaN → column median, z-score, near-constant columns dropped). */
export function standardize(columns: ArrayLike<number>[], rows: number): { data: Float32Array; cols: number } {
  const kept: Float64Array[] = [];
  for (const column of columns) {
    const finite = Array.from(column)
      .filter((v) => !Number.isNaN(v))
      .sort((a, b) => a - b);
    const median =
      finite.length === 0
        ? 0
        : finite.length % 2
          ? finite[finite.length >> 1]!
          : (finite[finite.length / 2 - 1]! + finite[finite.length / 2]!) / 2;
    const filled = Float64Array.from(column, (v) => (Number.isNaN(v) ? median : v));
    const mean = filled.reduce((a, b) => a + b, 0) / rows;
    const std = Math.sqrt(filled.reduce((a, b) => a + (b - mean) ** 2, 0) / rows);
    if (std <= 1e-6) continue;
    kept.push(filled.map((v) => (v - mean) / std));
  }
  const data = new Float32Array(rows * kept.length);
  kept.forEach((col, j) => col.forEach((v, i) => (data[i * kept.length + j] = v)));
  return { data, cols: kept.length };
}

/** Distance-weighted KNN predictions for `queries` against `train` rows (sklearn weights='distance'). */
export function knnPredict(
  x: Float32Array,
  cols: number,
  train: Int32Array,
  queries: Int32Array,
  label: ArrayLike<number>,
  k: number,
): Int8Array {
  const out = new Int8Array(queries.length);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  for (let qi = 0; qi < queries.length; qi++) {
    const a = queries[qi]! * cols;
    bestD.fill(Infinity);
    for (let ti = 0; ti < train.length; ti++) {
      const b = train[ti]! * cols;
      let d = 0;
      for (let j = 0; j < cols; j++) {
        const diff = x[a + j]! - x[b + j]!;
        d += diff * diff;
      }
      if (d >= bestD[k - 1]!) continue;
      let p = k - 1;
      while (p > 0 && bestD[p - 1]! > d) {
        bestD[p] = bestD[p - 1]!;
        bestI[p] = bestI[p - 1]!;
        p--;
      }
      bestD[p] = d;
      bestI[p] = train[ti]!;
    }
    const votes = new Float64Array(8);
    const exact = Array.from(bestD).findIndex((d) => d === 0);
    if (exact >= 0) votes[label[bestI[exact]!]!]! += 1;
    else for (let r = 0; r < k; r++) votes[label[bestI[r]!]!]! += 1 / Math.sqrt(bestD[r]!);
    out[qi] = votes.indexOf(Math.max(...votes));
  }
  return out;
}

/** sklearn's f1_score(average='macro') over the classes present in truth or prediction. */
export function macroF1(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const classes = new Set<number>([...Array.from(truth), ...Array.from(predicted)]);
  let sum = 0;
  for (const c of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < truth.length; i++) {
      if (predicted[i] === c && truth[i] === c) tp++;
      else if (predicted[i] === c) fp++;
      else if (truth[i] === c) fn++;
    }
    sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return sum / classes.size;
}

/** Macro F1 of held-out-host and random 80/20 splits, scored on at most `maxQueries` test rows. */
export function splitScores(
  data: ProbeData,
  trainHosts: readonly string[],
  maxQueries: number,
  seed = 1,
): { host: number; random: number } {
  const rows = data.phase.length;
  const { data: x, cols } = standardize(data.columns, rows);
  const usable = (i: number) => ["accepted", "degraded"].includes(data.status.get(data.episode[i]!) ?? "");
  const all = Array.from({ length: rows }, (_, i) => i).filter(usable);
  const rng = createRng(seed);
  const score = (train: number[], test: number[]) => {
    const picked = rng.sample(test.length, maxQueries);
    const queries = Int32Array.from(picked, (i) => test[i]!);
    const predicted = knnPredict(x, cols, Int32Array.from(train), queries, data.phase, 10);
    return macroF1(
      Array.from(queries, (q) => data.phase[q]!),
      predicted,
    );
  };
  const onTrainHost = (i: number) => trainHosts.includes(data.host[i]!);
  const host = score(
    all.filter(onTrainHost),
    all.filter((i) => !onTrainHost(i)),
  );
  const shuffled = rng.shuffle(all.slice());
  const cut = Math.floor(shuffled.length * 0.8);
  const random = score(shuffled.slice(0, cut), shuffled.slice(cut));
  return { host, random };
}
