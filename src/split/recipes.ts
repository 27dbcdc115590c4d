import { InputError } from "../core/errors.ts";
import type { Rng } from "../core/rng.ts";
import { pickSampleGroups } from "./groups.ts";
import { ROLE, type RoleCode } from "./roles.ts";
import { usableRows, type ValidationRows } from "./validation.ts";

/** Fraction of sample groups (per profile) the `sample` recipe holds out as test. */
export const SAMPLE_TEST_FRACTION = 0.2;

/** Fraction of windows the `random` recipe holds out as test. */
export const RANDOM_TEST_FRACTION = 0.2;

export interface EpisodeSplitOptions {
  readonly valFraction: number;
  readonly rng: Rng;
  /** how to name the validation table in messages */
  readonly file: string;
}

/**
 * The held-out-host split (SPEC section 3): accepted/degraded episodes on hosts outside
 * `trainHosts` are test; the train-host episodes are split into train and val by whole
 * sample groups. Episodes absent from the result are never trained on.
 */
export function heldOutHost(rows: ValidationRows, trainHosts: readonly string[], options: EpisodeSplitOptions): Map<string, RoleCode> {
  const usable = usableRows(rows);
  _checkTrainHosts(rows, usable, trainHosts, options.file);
  const trainSet = new Set(trainHosts);
  const onTrainHosts = usable.filter((i) => trainSet.has(rows.hostId[i]!));
  const test = usable.filter((i) => !trainSet.has(rows.hostId[i]!));
  if (test.length === 0) {
    throw new InputError(
      `classify.train_hosts lists every host that has accepted or degraded episodes in ${options.file}, so no test episodes are left`,
      "remove at least one host from classify.train_hosts so its episodes can be held out as test",
    );
  }
  return _assignTrainVal(rows, onTrainHosts, test, options);
}

/**
 * The held-out-sample split: about 20% of the sample groups of each profile (at least one
 * when the profile has two or more) are test; the rest are split into train and val as in
 * the host recipe. Hosts play no part.
 */
export function heldOutSample(rows: ValidationRows, options: EpisodeSplitOptions): Map<string, RoleCode> {
  const usable = usableRows(rows);
  const testSamples = pickSampleGroups(rows, usable, SAMPLE_TEST_FRACTION, options.rng.fork("test"));
  const test = usable.filter((i) => testSamples.has(rows.sampleName[i]!));
  if (test.length === 0) {
    throw new InputError(
      `${options.file}: no profile has two or more sample_name groups among its accepted or degraded episodes, ` +
        "so no sample can be held out as test",
      "use classify.split=host or classify.split=random, or add episodes of more malware samples",
    );
  }
  const rest = usable.filter((i) => !testSamples.has(rows.sampleName[i]!));
  return _assignTrainVal(rows, rest, test, options);
}

/**
 * A seeded row split: exactly round(20%) of the windows are test, the rest train, none val.
 * It ignores the validation table, as the seed's random recipe does.
 */
export function randomRowSplit(rowCount: number, rng: Rng): Int8Array {
  const testCount = Math.round(rowCount * RANDOM_TEST_FRACTION);
  if (testCount === 0) {
    throw new InputError(
      `classify.split=random: ${rowCount} window${rowCount === 1 ? "" : "s"} leave no test row`,
      "load at least 3 windows (raise load.max_rows) or use another classify.split",
    );
  }
  const roles = new Int8Array(rowCount).fill(ROLE.train);
  for (const row of rng.fork("test").sample(rowCount, testCount)) roles[row] = ROLE.test;
  return roles;
}

function _assignTrainVal(
  rows: ValidationRows,
  fitIndices: readonly number[],
  testIndices: readonly number[],
  options: EpisodeSplitOptions,
): Map<string, RoleCode> {
  const valSamples = pickSampleGroups(rows, fitIndices, options.valFraction, options.rng.fork("val"));
  const roles = new Map<string, RoleCode>();
  for (const i of fitIndices) roles.set(rows.episodeId[i]!, valSamples.has(rows.sampleName[i]!) ? ROLE.val : ROLE.train);
  for (const i of testIndices) roles.set(rows.episodeId[i]!, ROLE.test);
  return roles;
}

function _checkTrainHosts(rows: ValidationRows, usable: readonly number[], trainHosts: readonly string[], file: string): void {
  const known = new Set(usable.map((i) => rows.hostId[i]!));
  const unknown = trainHosts.filter((host) => !known.has(host));
  if (unknown.length === 0) return;
  const list = [...known].sort().join(", ") || "none";
  const named = unknown.map((h) => JSON.stringify(h)).join(", ");
  const have = unknown.length === 1 ? "has" : "have";
  throw new InputError(
    `classify.train_hosts names ${named}, which ${have} no accepted or degraded episode in ${file} (hosts with such episodes: ${list})`,
    "set classify.train_hosts to hosts from the host_id column, e.g. --set classify.train_hosts=[host-a,host-b]",
  );
}
