import type { Matrix } from "../core/artifact.ts";
import { InputError } from "../core/errors.ts";
import { PHASE_COUNT } from "../core/phases.ts";
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

/**
 * classify's one KNN pass: train and val are searched as two groups for every non-fit
 * window, so the train+val prediction (the two lists merged) and evaluate's train-only
 * neighbours come out of the same scan of the data.
 */
export async function fitPredict(request: FitPredictRequest): Promise<FitPredictResult> {
  const { roles, k } = request;
  const train = rowsWithRole(roles, ROLE.train);
  const val = rowsWithRole(roles, ROLE.val);
  _checkEnoughTraining(train.length, k);
  const queries = _queryRows(roles);
  _checkTestWindows(queries, roles);
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
  const predicted = Int8Array.from(request.phase);
  const isTrain = new Uint8Array(roles.length);
  for (let i = 0; i < roles.length; i++) isTrain[i] = roles[i] === ROLE.train || roles[i] === ROLE.val ? 1 : 0;
  for (let q = 0; q < queries.length; q++) predicted[queries[q]!] = votes[q]!;
  const { testRows, neighbours } = _testSlice(queries, roles, trainOnly!, k);
  return { predicted, isTrain, testRows, testNeighbours: neighbours };
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

/** Every window that is neither train nor val, ascending. */
function _queryRows(roles: Int8Array): Int32Array {
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
