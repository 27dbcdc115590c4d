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
 *    only counted survivors): with f the fraction of pairs whose float64 distance would be
 *    needed, the cost per pair in units of one padded dim of the float32 kernel is modelled as
 *        BOUND_COST x pdp  (the bound kernel on short rows plus two scalar scans of its output)
 *      + SURVIVOR_COST x f x dims  (scalar float64 distances, ~8x the f32 SIMD cost per dim)
 *    and pruning is kept when that is below KEEP_BELOW x the brute force's cost, dp x
 *    BRUTE_KERNEL_COST (the int16 kernel does a padded dim in half the float32 kernel's time).
 *    With the int16 kernel, rank 31 can only pay from about 400 dims on (f < ~4% there), so for
 *    the demo's 224 dims auto mode does not even fit the projection; with the float32 kernel at
 *    230 dims it pays for f < ~4%. The constants are estimates: on the demo data f was 63%
 *    (rank 31 holds 47% of the variance), far on the brute side anyway.
 */
import { QUERY_BLOCK } from "./layout.ts";
import { PRUNE_FIT_SAMPLE } from "./prune-fit.ts";
import { seedCount } from "./prune-block.ts";
import type { ShortlistKernel } from "./types.ts";

/** Principal axes of the projection: 31 + the residual norm fill 32 floats (8 f32x4 loads). */
export const PRUNE_RANK = 31;
export const SAMPLE_BLOCKS = 4;
const FIT_PAYBACK = 4;
const BOUND_COST = 3;
const SURVIVOR_COST = 8;
const KEEP_BELOW = 0.8;
/** The brute force's cost per padded dim, relative to the float32 kernel's (measured: 2x for int16). */
const BRUTE_KERNEL_COST: Record<ShortlistKernel, number> = { float32: 1, int16: 0.5 };

export interface PrunePlanInput {
  dims: number;
  k: number;
  queries: number;
  groupLengths: readonly number[];
  mode: "auto" | "always" | "never";
  kernel: ShortlistKernel;
}

/** The rank to fit, or 0 when this search should not fit a projection at all. */
export function pruneRank(input: PrunePlanInput): number {
  const { dims, k, queries, groupLengths, mode, kernel } = input;
  if (mode === "never" || queries === 0) return 0;
  const rank = Math.min(PRUNE_RANK, dims - 1);
  const pdp = paddedProjection(rank);
  const dp = Math.ceil(dims / 4) * 4;
  if (rank < 1 || 2 * pdp > dp || !groupLengths.some((n) => n > seedCount(k))) return 0;
  if (mode === "always") return rank;
  // even with no survivors at all the bound pass would cost more than the brute force
  if (!pruneCanPay(0, dims, rank, kernel)) return 0;
  const rows = groupLengths.reduce((a, b) => a + b, 0);
  const fitWork = Math.min(rows, PRUNE_FIT_SAMPLE) * dims * dims + (rows + queries) * dims * rank;
  return queries * rows * dims >= FIT_PAYBACK * fitWork ? rank : 0;
}

export function paddedProjection(rank: number): number {
  return Math.ceil((rank + 1) / 4) * 4;
}

/** Whether pruning should continue after the sample blocks needed `survivors` of `pairs` float64 distances. */
export function keepPruning(survivors: number, pairs: number, dims: number, rank: number, kernel: ShortlistKernel): boolean {
  return pairs > 0 && pruneCanPay(survivors / pairs, dims, rank, kernel);
}

function pruneCanPay(survivorFraction: number, dims: number, rank: number, kernel: ShortlistKernel): boolean {
  const dp = Math.ceil(dims / 4) * 4;
  return BOUND_COST * paddedProjection(rank) + SURVIVOR_COST * survivorFraction * dims < KEEP_BELOW * BRUTE_KERNEL_COST[kernel] * dp;
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
