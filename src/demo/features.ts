/**
 * Synthetic per-window features with the structure real endpoint telemetry has, so the demo
 * pipeline meets realistic difficulty:
 *
 *   value = lagged class mean (phase × profile) + host offset + episode offset
 *         + low-rank AR(1) noise + heavy-tailed per-cell noise
 *   raw   = per-feature scale and centre, log-normal for count-like features
 *
 * The host offsets are what makes held-out hosts harder than a random split; the episode
 * offsets and the autocorrelation are what make a random split easy (neighbours from the
 * same episode). NaN cells, all-NaN and constant columns are added on top.
 */
import type { Rng } from "../core/rng.ts";
import { DEMO_HOSTS, DEMO_PROFILES, PHASE, PHASE_COUNT } from "./catalog.ts";
import type { Episode } from "./episodes.ts";

/** Knobs tuned so host-split KNN macro F1 ≈ 0.75 and random-split ≈ 0.85 at 150k rows. */
export const SHAPE = {
  signal: 0.55,
  host: 0.45,
  episode: 0.35,
  latentRank: 8,
  latent: 0.8,
  rho: 0.85,
  /** how far the mean moves toward a new phase's mean per window (transitions blur) */
  lag: 0.6,
  nanRate: 0.01,
  spikeRate: 0.003,
} as const;

/** How strongly a profile's signature shows in each phase. */
const PROFILE_ACTIVITY = [0, 0.3, 0.7, 1, 0.4, 0.5];

export interface FeatureColumns {
  /** one column per feature; float64 for every tenth feature, float32 otherwise */
  readonly columns: (Float32Array | Float64Array)[];
}

/** A standard normal sampler over the rng (Box–Muller, pairs cached). */
export function normalSampler(rng: Rng): () => number {
  let spare = Number.NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const out = spare;
      spare = Number.NaN;
      return out;
    }
    const u = 1 - rng.next(); // (0, 1]: log stays finite
    const r = Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * rng.next();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
}

function sparseDirection(features: number, density: number, normal: () => number, rng: Rng): Float64Array {
  const v = new Float64Array(features);
  for (let j = 0; j < features; j++) if (rng.next() < density) v[j] = normal();
  return v;
}

function denseVector(features: number, scale: number, normal: () => number): Float64Array {
  return Float64Array.from({ length: features }, () => normal() * scale);
}

/** Class means [phase * profiles + profile] → F-vector. Clean is the origin for every profile. */
function classMeans(features: number, normal: () => number, rng: Rng): Float64Array[] {
  const own = Array.from({ length: PHASE_COUNT }, () => sparseDirection(features, 0.25, normal, rng));
  const base = own.map((v) => v.slice());
  base[PHASE.clean]!.fill(0);
  scaleInPlace(base[PHASE.armed]!, 0.6);
  for (let j = 0; j < features; j++) {
    base[PHASE.infecting]![j] = own[PHASE.infecting]![j]! + 0.5 * own[PHASE.armed]![j]!;
    base[PHASE.dormant]![j] = 0.4 * own[PHASE.infected_running]![j]! + 0.5 * own[PHASE.dormant]![j]!;
    base[PHASE.failed]![j] = 0.6 * own[PHASE.infecting]![j]! + 0.8 * own[PHASE.failed]![j]!;
  }
  const profiles = DEMO_PROFILES.map(() => sparseDirection(features, 0.2, normal, rng));
  const means: Float64Array[] = [];
  for (let p = 0; p < PHASE_COUNT; p++) {
    for (let r = 0; r < profiles.length; r++) {
      const m = new Float64Array(features);
      for (let j = 0; j < features; j++) m[j] = SHAPE.signal * (base[p]![j]! + PROFILE_ACTIVITY[p]! * profiles[r]![j]!);
      means.push(m);
    }
  }
  return means;
}

function scaleInPlace(v: Float64Array, s: number): void {
  for (let j = 0; j < v.length; j++) v[j]! *= s;
}

/** The latent (standardised-scale) value of every cell, window-major in `out` (rows × F). */
export function latentFeatures(episodes: readonly Episode[], features: number, rng: Rng): Float32Array {
  const normal = normalSampler(rng);
  const means = classMeans(features, normal, rng.fork("means"));
  const hosts = DEMO_HOSTS.map(() => denseVector(features, SHAPE.host, normal));
  const rank = SHAPE.latentRank;
  const loadings = denseVector(rank * features, SHAPE.latent / Math.sqrt(rank), normal);
  const noiseScale = Float64Array.from({ length: features }, () => 0.5 + rng.next());
  const rows = episodes.reduce((n, e) => n + e.phases.length, 0);
  const out = new Float32Array(rows * features);
  const mean = new Float64Array(features);
  const z = new Float64Array(rank);
  const innovation = Math.sqrt(1 - SHAPE.rho * SHAPE.rho);
  let row = 0;
  for (const episode of episodes) {
    const offset = denseVector(features, SHAPE.episode, normal);
    const host = hosts[episode.host]!;
    mean.set(means[episode.phases[0]! * DEMO_PROFILES.length + episode.profile]!);
    for (let k = 0; k < rank; k++) z[k] = normal();
    for (let t = 0; t < episode.phases.length; t++, row++) {
      const target = means[episode.phases[t]! * DEMO_PROFILES.length + episode.profile]!;
      for (let j = 0; j < features; j++) mean[j]! += SHAPE.lag * (target[j]! - mean[j]!);
      for (let k = 0; k < rank; k++) z[k] = SHAPE.rho * z[k]! + innovation * normal();
      // heavy tails: a log-normal scale per window, so some whole windows are noisy outliers
      const windowScale = Math.exp(0.3 * normal());
      const base = row * features;
      for (let j = 0; j < features; j++) {
        let latent = 0;
        for (let k = 0; k < rank; k++) latent += z[k]! * loadings[k * features + j]!;
        out[base + j] = mean[j]! + host[j]! + offset[j]! + latent + windowScale * noiseScale[j]! * normal();
      }
    }
  }
  addSpikes(out, rng);
  return out;
}

/** Rare large spikes (sensor glitches), placed by geometric skips instead of a draw per cell. */
function addSpikes(values: Float32Array, rng: Rng): void {
  for (let at = skip(rng, SHAPE.spikeRate); at < values.length; at += 1 + skip(rng, SHAPE.spikeRate)) {
    values[at]! += (rng.next() < 0.5 ? -1 : 1) * (4 + 4 * rng.next());
  }
}

/** Cells to skip before the next hit of a per-cell Bernoulli(p). */
export function skip(rng: Rng, p: number): number {
  return Math.floor(Math.log(1 - rng.next()) / Math.log(1 - p));
}
