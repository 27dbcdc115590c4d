import type { Matrix } from "../core/artifact.ts";
import { InputError, InternalError } from "../core/errors.ts";
import { PHASE_COUNT } from "../core/phases.ts";
import { shardRows, type ShardRange } from "../core/shard.ts";
import { knnSearch, mergeNeighbours, weightedVote, type KnnResult } from "../knn/index.ts";
import { ROLE, rowsWithRole } from "./roles.ts";

/** Phase codes 0..5 (SPEC section 1): the classes weightedVote scores. */

export interface FitPredictRequest {
  readonly features: Matrix;
  readonly phase: Int8Array;
  /** ROLE code per window */
  readonly roles: Int8Array;
  readonly k: number;
  readonly threads: number;
  readonly signal?: AbortSignal;
  onProgress?(fraction: number): void;
}

export interface FitPredictResult {
  /** train and val windows keep their own phase; every other window gets the KNN vote */
  readonly predicted: Int8Array;
  /** 1 for train and val windows (the KNN's reference set), else 0 */
  readonly isTrain: Uint8Array;
  /** test windows (ascending) and their train-only top-k, for evaluate */
  readonly testRows: Int32Array;
  readonly testNeighbours: KnnResult;
}

/** One shard's share of the KNN pass: its range of the query rows and what they got. */
export interface FitPredictShard {
  /** the query windows of this shard (ascending, a consecutive range of all the queries) */
  readonly queries: Int32Array;
  /** the train+val vote of each query */
  readonly votes: Int8Array;
  /** the test windows among the queries (ascending) and their train-only top-k */
  readonly testRows: Int32Array;
  readonly testNeighbours: KnnResult;
}

/**
 * classify's one KNN pass: train and val are searched as two groups for every non-fit
 * window, so the train+val prediction (the two lists merged) and evaluate's train-only
 * neighbours come out of the same scan of the data. Unsharded, it is shard 0 of 1.
 */
export async function fitPredict(request: FitPredictRequest): Promise<FitPredictResult> {
  return assembleShards(request.phase, request.roles, [await fitPredictShard(request, { index: 0, count: 1 })], request.k);
}

/**
 * The KNN pass for shard `shard` of the query rows (shardRows over the ascending non-fit
 * windows). Each query's neighbours depend only on the query and the reference rows (exact,
 * ties by row id), so the shards of any count concatenate to the unsharded result.
 */
export async function fitPredictShard(request: FitPredictRequest, shard: ShardRange): Promise<FitPredictShard> {
  const { roles, k } = request;
  const train = rowsWithRole(roles, ROLE.train);
  const val = rowsWithRole(roles, ROLE.val);
  _checkEnoughTraining(train.length, k);
  const all = queryRows(roles);
  _checkTestWindows(all, roles);
  const { start, end } = shardRows(all.length, shard);
  const queries = all.slice(start, end);
  const [trainOnly, valOnly] = await knnSearch({
    data: request.features.data,
    dims: request.features.cols,
    groups: [train, val],
    queries,
    k,
    threads: request.threads,
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
  });
  const votes = weightedVote(mergeNeighbours(trainOnly!, valOnly!, k), k, request.phase, PHASE_COUNT);
  const { testRows, neighbours } = _testSlice(queries, roles, trainOnly!, k);
  return { queries, votes: Int8Array.from(votes), testRows, testNeighbours: neighbours };
}

/**
 * The whole pass from its shards, in shard order: train and val windows keep their phase,
 * every query its vote. Shards that do not cover the queries exactly, in order, are refused.
 */
export function assembleShards(phase: Int8Array, roles: Int8Array, shards: readonly FitPredictShard[], k: number): FitPredictResult {
  const all = queryRows(roles);
  const predicted = Int8Array.from(phase);
  const isTrain = new Uint8Array(roles.length);
  for (let i = 0; i < roles.length; i++) isTrain[i] = roles[i] === ROLE.train || roles[i] === ROLE.val ? 1 : 0;
  let at = 0;
  for (const [s, shard] of shards.entries()) {
    for (let q = 0; q < shard.queries.length; q++, at++) {
      if (all[at] !== shard.queries[q]) {
        throw new InternalError(`classify: shard ${s} of ${shards.length} does not hold the query rows its range should`);
      }
      predicted[shard.queries[q]!] = shard.votes[q]!;
    }
  }
  if (at !== all.length) throw new InternalError(`classify: the ${shards.length} shards hold ${at} of ${all.length} query rows`);
  const testRows = concatInt32(shards.map((s) => s.testRows));
  const indices = concatInt32(shards.map((s) => s.testNeighbours.indices));
  const distances = new Float64Array(testRows.length * k);
  let offset = 0;
  for (const s of shards) {
    distances.set(s.testNeighbours.distances, offset);
    offset += s.testNeighbours.distances.length;
  }
  return { predicted, isTrain, testRows, testNeighbours: { indices, distances } };
}

function concatInt32(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function _checkEnoughTraining(trainRows: number, k: number): void {
  if (trainRows >= k) return;
  throw new InputError(
    `classify: the split leaves ${trainRows} training window${trainRows === 1 ? "" : "s"}, fewer than classify.k=${k}`,
    "lower classify.k, add hosts to classify.train_hosts, or load more windows (load.max_rows)",
  );
}

function _checkTestWindows(queries: Int32Array, roles: Int8Array): void {
  if (queries.some((row) => roles[row] === ROLE.test)) return;
  throw new InputError(
    "classify: no loaded window belongs to a test episode, so evaluate would have nothing to score",
    "check that the windows' episode_id values match validation_v1.parquet, or raise load.max_rows",
  );
}

/** Every window that is neither train nor val, ascending: the rows the KNN predicts. */
export function queryRows(roles: Int8Array): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < roles.length; i++) if (roles[i] !== ROLE.train && roles[i] !== ROLE.val) out.push(i);
  return Int32Array.from(out);
}

/** The test windows among the queries, with their slice of the train-only result. */
function _testSlice(queries: Int32Array, roles: Int8Array, trainOnly: KnnResult, k: number) {
  const picks: number[] = [];
  for (let q = 0; q < queries.length; q++) if (roles[queries[q]!] === ROLE.test) picks.push(q);
  const indices = new Int32Array(picks.length * k);
  const distances = new Float64Array(picks.length * k);
  picks.forEach((q, t) => {
    indices.set(trainOnly.indices.subarray(q * k, q * k + k), t * k);
    distances.set(trainOnly.distances.subarray(q * k, q * k + k), t * k);
  });
  const testRows = Int32Array.from(picks, (q) => queries[q]!);
  return { testRows, neighbours: { indices, distances } };
}
