/**
 * When the lower-bound prune is used. Two decisions, both from the request's shape and from
 * counts on fixed sample queries, never from timings, so the mode (and of course the result,
 * which is the same in every mode) does not depend on the thread count or the machine load.
 *
 * 1. Fit or not (before any work): the projection needs rank + 1 <= dp / 2 floats per row (else
 *    the bound pass costs as much as the brute force), a group larger than seedCount(k), and in
 *    "auto" a search big enough to pay for the fit: query x reference pairs x dims >=
 *    FIT_PAYBACK x (fit sample rows x dims^2 + rows x dims x rank) multiply-adds.
 * 2. Keep it or not (after SAMPLE_BLOCKS query blocks, spread evenly, ran the bound pass and
 *    only counted survivors): with f the fraction of pairs whose float64 distance would be needed, the cost per pair relative to the brute
 *    force's dp (padded dims, the f32 kernel) is modelled as
 *        BOUND_COST x pdp  (the bound kernel on short rows plus two scalar scans of its output)
 *      + SURVIVOR_COST x f x dims  (scalar float64 distances, ~8x the f32 SIMD cost per dim)
 *    and pruning is kept when that is below KEEP_BELOW x dp. For 230 dims and rank 31 that is
 *    f < ~4%. The constants are estimates: on the demo data f was 63% (rank 31 holds 47% of the
 *    variance), far on the brute side, so auto mode searches it by brute force.
 */
import { QUERY_BLOCK } from "./layout.ts";
import { PRUNE_FIT_SAMPLE } from "./prune-fit.ts";
import { seedCount } from "./prune-block.ts";

/** Principal axes of the projection: 31 + the residual norm fill 32 floats (8 f32x4 loads). */
export const PRUNE_RANK = 31;
export const SAMPLE_BLOCKS = 4;
const FIT_PAYBACK = 4;
const BOUND_COST = 3;
const SURVIVOR_COST = 8;
const KEEP_BELOW = 0.8;

export interface PrunePlanInput {
  dims: number;
  k: number;
  queries: number;
  groupLengths: readonly number[];
  mode: "auto" | "always" | "never";
}

/** The rank to fit, or 0 when this search should not fit a projection at all. */
export function pruneRank(input: PrunePlanInput): number {
  const { dims, k, queries, groupLengths, mode } = input;
  if (mode === "never" || queries === 0) return 0;
  const rank = Math.min(PRUNE_RANK, dims - 1);
  const pdp = paddedProjection(rank);
  const dp = Math.ceil(dims / 4) * 4;
  if (rank < 1 || 2 * pdp > dp || !groupLengths.some((n) => n > seedCount(k))) return 0;
  if (mode === "always") return rank;
  const rows = groupLengths.reduce((a, b) => a + b, 0);
  const fitWork = Math.min(rows, PRUNE_FIT_SAMPLE) * dims * dims + (rows + queries) * dims * rank;
  return queries * rows * dims >= FIT_PAYBACK * fitWork ? rank : 0;
}

export function paddedProjection(rank: number): number {
  return Math.ceil((rank + 1) / 4) * 4;
}

/** Whether pruning should continue after the sample blocks needed `survivors` of `pairs` float64 distances. */
export function keepPruning(survivors: number, pairs: number, dims: number, rank: number): boolean {
  if (pairs === 0) return false;
  const dp = Math.ceil(dims / 4) * 4;
  const fraction = survivors / pairs;
  return BOUND_COST * paddedProjection(rank) + SURVIVOR_COST * fraction * dims < KEEP_BELOW * dp;
}

/** Task indices of the sample blocks: SAMPLE_BLOCKS of `tasks`, evenly spread, ascending. */
export function sampleTasks(tasks: number): number[] {
  const picked = new Set<number>();
  const count = Math.min(SAMPLE_BLOCKS, tasks);
  for (let i = 0; i < count; i++) picked.add(Math.floor(((i + 0.5) * tasks) / count));
  return [...picked].sort((a, b) => a - b);
}

/** Blocks of QUERY_BLOCK query ids, in order. */
export function queryBlocks(queries: Int32Array): Int32Array[] {
  const blocks: Int32Array[] = [];
  for (let start = 0; start < queries.length; start += QUERY_BLOCK) blocks.push(queries.slice(start, start + QUERY_BLOCK));
  return blocks;
}
