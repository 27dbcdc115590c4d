/**
 * Synthetic per-window features with the structure real endpoint telemetry has, so the demo
 * pipeline meets realistic difficulty:
 *
 *   value = lagged class mean (phase × profile) + host offset + episode offset
 *         + low-rank AR(1) noise + heavy-tailed per-cell noise
 *   raw   = per-feature scale and centre, log-normal for count-like features
 *
 * A random split is easier than held-out hosts mostly because its test windows have
 * neighbours from their own episode (shared offset, autocorrelated noise, same phase run);
 * host offsets and gains add a smaller shift on unseen hosts. NaN cells, all-NaN and
 * constant columns are added on top (src/demo/columns.ts).
 */
import type { Rng } from "../core/rng.ts";
import { PHASE, PHASE_COUNT } from "../core/phases.ts";
import { DEMO_HOSTS, DEMO_PROFILES } from "./catalog.ts";
import type { Episode } from "./episodes.ts";

/** Knobs tuned so host-split KNN macro F1 ≈ 0.75 and random-split ≈ 0.85 at 150k rows. */
export const SHAPE = {
  signal: 1.35,
  host: 0.2,
  hostGain: 0.1,
  episode: 0.25,
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

const NORMAL_TABLE_BITS = 16;
let normalTable: Float64Array | undefined;

/**
 * Standard normal draws from the rng: two per 32-bit draw, each 16-bit half indexing a table of
 * normal quantiles at (i + 0.5) / 65536. Five times faster than Box–Muller, which matters at
 * 35 M cells; the table caps |z| at 4.3, and the heavy tails are added explicitly instead.
 */
export function normalSampler(rng: Rng): () => number {
  const table = (normalTable ??= buildNormalTable());
  let spare = -1;
  return () => {
    if (spare >= 0) {
      const out = table[spare]!;
      spare = -1;
      return out;
    }
    const bits = Math.floor(rng.next() * 4294967296);
    spare = bits & 0xffff;
    return table[bits >>> NORMAL_TABLE_BITS]!;
  };
}

function buildNormalTable(): Float64Array {
  const size = 1 << NORMAL_TABLE_BITS;
  return Float64Array.from({ length: size }, (_, i) => inverseNormal((i + 0.5) / size));
}

/** Acklam's rational approximation of the normal quantile (relative error < 1.2e-9). */
export function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
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

interface Model {
  means: Float64Array[];
  hosts: Float64Array[];
  gains: Float64Array[];
  loadings: Float64Array;
  noiseScale: Float64Array;
}

/** The latent (standardised-scale) value of every cell, window-major (rows × F). */
export function latentFeatures(episodes: readonly Episode[], features: number, rng: Rng): Float32Array {
  const normal = normalSampler(rng);
  const model: Model = {
    means: classMeans(features, normal, rng.fork("means")),
    hosts: DEMO_HOSTS.map(() => denseVector(features, SHAPE.host, normal)),
    // hardware differences: each host scales each signal a little differently
    gains: DEMO_HOSTS.map(() => denseVector(features, SHAPE.hostGain, normal).map(Math.exp)),
    loadings: denseVector(SHAPE.latentRank * features, SHAPE.latent / Math.sqrt(SHAPE.latentRank), normal),
    noiseScale: Float64Array.from({ length: features }, () => 0.5 + rng.next()),
  };
  const rows = episodes.reduce((n, e) => n + e.phases.length, 0);
  const out = new Float32Array(rows * features);
  let row = 0;
  for (const episode of episodes) {
    fillEpisode(out.subarray(row * features, (row + episode.phases.length) * features), episode, model, normal);
    row += episode.phases.length;
  }
  addSpikes(out, rng);
  return out;
}

/** One episode's windows in time order: the mean lags behind phase changes, the noise is AR(1). */
function fillEpisode(out: Float32Array, episode: Episode, model: Model, normal: () => number): void {
  const features = model.noiseScale.length;
  const classOf = (t: number) => model.means[episode.phases[t]! * DEMO_PROFILES.length + episode.profile]!;
  const offset = denseVector(features, SHAPE.episode, normal);
  const host = model.hosts[episode.host]!;
  const gain = model.gains[episode.host]!;
  const mean = classOf(0).slice();
  const z = Float64Array.from({ length: SHAPE.latentRank }, normal);
  const innovation = Math.sqrt(1 - SHAPE.rho * SHAPE.rho);
  for (let t = 0; t < episode.phases.length; t++) {
    const target = classOf(t);
    for (let j = 0; j < features; j++) mean[j]! += SHAPE.lag * (target[j]! - mean[j]!);
    for (let k = 0; k < z.length; k++) z[k] = SHAPE.rho * z[k]! + innovation * normal();
    // heavy tails: a log-normal scale per window, so some whole windows are noisy outliers
    const windowScale = Math.exp(0.3 * normal());
    const cell = out.subarray(t * features, (t + 1) * features);
    lowRank(cell, z, model.loadings);
    for (let j = 0; j < features; j++) {
      cell[j] = gain[j]! * (cell[j]! + mean[j]!) + host[j]! + offset[j]! + windowScale * model.noiseScale[j]! * normal();
    }
  }
}

/** out = zᵀ·loadings (rank × F, row-major); a separate function keeps this hot loop optimised. */
function lowRank(out: Float32Array, z: Float64Array, loadings: Float64Array): void {
  const features = out.length;
  out.fill(0);
  for (let k = 0; k < z.length; k++) {
    const zk = z[k]!;
    for (let j = 0, at = k * features; j < features; j++, at++) out[j]! += zk * loadings[at]!;
  }
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
