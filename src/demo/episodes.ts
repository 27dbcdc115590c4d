/**
 * The episode plan of the demo data: which host, attack profile and sample each episode runs,
 * its validation status, and the phase of each of its windows, in time order.
 *
 *   clean → armed → infecting → infected_running → (dormant → infected_running) → clean tail
 *   clean → armed → infecting → failed → clean tail                       (a rare failed run)
 */
import type { Rng } from "../core/rng.ts";
import { PHASE } from "../core/phases.ts";
import { DEMO_HOSTS, DEMO_PROFILES, SAMPLES_PER_PROFILE } from "./catalog.ts";

export interface Episode {
  readonly id: string;
  readonly host: number;
  readonly profile: number;
  /** index into the profile's samples */
  readonly sample: number;
  readonly status: "accepted" | "degraded" | "rejected";
  /** phase code of each window, in time order */
  readonly phases: Int8Array;
}

/** Episodes shorter than this cannot hold every phase segment at two windows each. */
const MIN_EPISODE = 14;
/** The first episodes are forced to cover every host, profile, phase and two samples per profile. */
const COVERAGE_EPISODES = 12;
const SAMPLE_WEIGHTS = [0.4, 0.3, 0.2, 0.1];

/** Episodes whose window counts add up to exactly `rows`. */
export function planEpisodes(rows: number, rng: Rng): Episode[] {
  const lengths = episodeLengths(rows, rng);
  return lengths.map((length, i) => planEpisode(i, length, rng));
}

function episodeLengths(rows: number, rng: Rng): number[] {
  // ~30 episodes at 1,000 rows, ~1,250 at 150,000: long enough for realistic phase runs
  const mean = Math.min(120, Math.max(MIN_EPISODE * 2, Math.round(rows / 30)));
  const lengths: number[] = [];
  let total = 0;
  while (total < rows) {
    let length = Math.max(MIN_EPISODE, Math.round(mean * (0.5 + rng.next())));
    length = Math.min(length, rows - total);
    if (length < MIN_EPISODE && lengths.length > 0) {
      lengths[lengths.length - 1]! += length; // a short remainder joins the previous episode
    } else {
      lengths.push(length);
    }
    total += length;
  }
  return lengths;
}

function planEpisode(i: number, length: number, rng: Rng): Episode {
  const forced = i < COVERAGE_EPISODES;
  const host =
    i < DEMO_HOSTS.length
      ? i
      : pickWeighted(
          rng,
          DEMO_HOSTS.map((h) => h.weight),
        );
  const profile = forced ? (i * 5) % DEMO_PROFILES.length : rng.int(DEMO_PROFILES.length);
  const sample = forced ? Math.floor(i / DEMO_PROFILES.length) % SAMPLES_PER_PROFILE : pickWeighted(rng, SAMPLE_WEIGHTS);
  const status = forced ? "accepted" : pickStatus(rng);
  // episode 1 always fails and episode 0 always goes dormant, so every phase exists at 1,000 rows
  const failed = i === 1 || (!forced && rng.next() < 0.03);
  const dormant = !failed && (i === 0 || i === 2 || rng.next() < 0.35);
  const phases = phaseRun(length, failed, dormant, rng);
  return { id: `ep${String(i).padStart(5, "0")}`, host, profile, sample, status, phases };
}

function pickStatus(rng: Rng): Episode["status"] {
  const u = rng.next();
  return u < 0.88 ? "accepted" : u < 0.96 ? "degraded" : "rejected";
}

function pickWeighted(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let k = 0; k < weights.length; k++) {
    u -= weights[k]!;
    if (u < 0) return k;
  }
  return weights.length - 1;
}

/** The phase of each window: segments in order, sized by jittered weights. */
function phaseRun(length: number, failed: boolean, dormant: boolean, rng: Rng): Int8Array {
  const jitter = (w: number) => w * (0.6 + 0.8 * rng.next());
  const segments: [number, number][] = failed
    ? [
        [PHASE.clean, jitter(0.15)],
        [PHASE.armed, jitter(0.08)],
        [PHASE.infecting, jitter(0.12)],
        [PHASE.failed, jitter(0.2)],
        [PHASE.clean, jitter(0.2)],
      ]
    : [
        [PHASE.clean, jitter(0.15)],
        [PHASE.armed, jitter(0.08)],
        [PHASE.infecting, jitter(0.12)],
        [PHASE.infected_running, jitter(dormant ? 0.2 : 0.45)],
        ...(dormant
          ? ([
              [PHASE.dormant, jitter(0.15)],
              [PHASE.infected_running, jitter(0.15)],
            ] as [number, number][])
          : []),
        [PHASE.clean, jitter(0.12)],
      ];
  const sizes = allocate(
    length,
    segments.map((s) => s[1]),
  );
  const phases = new Int8Array(length);
  let at = 0;
  segments.forEach(([phase], k) => {
    phases.fill(phase, at, at + sizes[k]!);
    at += sizes[k]!;
  });
  return phases;
}

/** Split `length` into parts proportional to weights, each at least 2 when it fits (1, then 0 otherwise). */
function allocate(length: number, weights: readonly number[]): number[] {
  const n = weights.length;
  const floor = length >= 2 * n ? 2 : length >= n ? 1 : 0;
  const spare = length - floor * n;
  const total = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => floor + Math.floor((spare * w) / total));
  let left = length - sizes.reduce((a, b) => a + b, 0);
  for (let k = 0; left > 0; k = (k + 1) % n, left--) sizes[k]! += 1;
  return sizes;
}
