import type { Rng } from "../core/rng.ts";
import type { ValidationRows } from "./validation.ts";

/**
 * How many of a profile's `groups` sample groups to hold out: about `fraction` of them, at
 * least one when there are two or more, and never all of them (the rest must still train).
 */
export function heldOutGroupCount(groups: number, fraction: number): number {
  if (groups < 2) return 0;
  return Math.min(groups - 1, Math.max(1, Math.round(fraction * groups)));
}

/**
 * Chooses sample groups (by `sample_name`) to hold out, per profile, among the validation
 * rows `indices`. Returns the chosen sample names.
 *
 * Invariants that make the result a pure function of the data and the seed:
 * - profiles are visited in sorted order and each profile's samples are sorted before its
 *   own forked shuffle, so the validation table's row order and the other profiles do not
 *   change a profile's draw;
 * - a sample name seen in an earlier profile is not drawn again, so a sample shared by two
 *   profiles gets one decision and can never straddle the two sides.
 */
export function pickSampleGroups(rows: ValidationRows, indices: readonly number[], fraction: number, rng: Rng): Set<string> {
  const chosen = new Set<string>();
  const decided = new Set<string>();
  for (const [profile, samples] of _samplesByProfile(rows, indices)) {
    const candidates = samples.filter((name) => !decided.has(name));
    for (const name of candidates) decided.add(name);
    rng.fork(`profile:${profile}`).shuffle(candidates);
    const take = heldOutGroupCount(candidates.length, fraction);
    for (const name of candidates.slice(0, take)) chosen.add(name);
  }
  return chosen;
}

/** profile -> its distinct sample names, both sorted (code-unit order, locale-free). */
function _samplesByProfile(rows: ValidationRows, indices: readonly number[]): [string, string[]][] {
  const byProfile = new Map<string, Set<string>>();
  for (const i of indices) {
    const profile = rows.profile[i]!;
    let samples = byProfile.get(profile);
    if (!samples) byProfile.set(profile, (samples = new Set()));
    samples.add(rows.sampleName[i]!);
  }
  return [...byProfile.entries()].sort(([a], [b]) => _compare(a, b)).map(([profile, samples]) => [profile, [...samples].sort(_compare)]);
}

function _compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
