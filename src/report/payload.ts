import { PHASE_NAMES } from "../core/phases.ts";
import type { ReportData, ReportPoints } from "./data.ts";

/** Phase names by code when the metrics do not name a code (SPEC's fixed phase codes). */
export const DEFAULT_PHASE_NAMES: readonly string[] = PHASE_NAMES;

/** Decimals kept for coordinates in [0, 1]: 1e-4 is a tenth of a pixel on a 1000 px canvas. */
const XYZ_DECIMALS = 4;
/** Decimals kept for every other non-integer number. */
const VALUE_DECIMALS = 5;

/** What the page's script reads: the report data as plain JSON, numbers rounded. */
export interface ReportPayload {
  title: string;
  generatedFrom: string;
  seed: number;
  /** code (as a string key) → phase name, for the legend */
  phaseNames: Record<string, string>;
  points: Record<Exclude<keyof ReportPoints, "episodeNames">, number[]> & { episodeNames: string[] };
  metrics: unknown;
  projection: unknown;
  notes: readonly string[];
  drawn: string;
  runId: string | null;
  stages: unknown;
  params: unknown;
  runs: unknown;
}

/** The JSON-ready form of the data: typed arrays become arrays, numbers are rounded. */
export function toPayload(data: ReportData): ReportPayload {
  const { points } = data;
  return {
    title: data.title,
    generatedFrom: data.generatedFrom,
    seed: data.seed,
    phaseNames: phaseNames(data),
    points: {
      x: roundAll(points.x, XYZ_DECIMALS),
      y: roundAll(points.y, XYZ_DECIMALS),
      z: roundAll(points.z, XYZ_DECIMALS),
      phase: Array.from(points.phase),
      predicted: Array.from(points.predicted),
      cluster: Array.from(points.cluster),
      isTrain: Array.from(points.isTrain),
      episode: Array.from(points.episode),
      episodeNames: points.episodeNames,
    },
    metrics: roundDeep(data.metrics ?? null),
    projection: roundDeep(data.projection ?? null),
    notes: data.notes,
    drawn: data.drawn,
    runId: data.runId ?? null,
    stages: roundDeep(data.stages),
    params: roundDeep(data.params),
    // metrics at full precision: two runs 1e-6 apart must not plot as one
    runs: data.runs,
  };
}

/** code → name: the metrics' own naming wins over the defaults. */
export function phaseNames(data: ReportData): Record<string, string> {
  const names: Record<string, string> = {};
  DEFAULT_PHASE_NAMES.forEach((name, code) => (names[String(code)] = name));
  for (const row of data.metrics?.per_class ?? []) names[String(row.code)] = row.phase;
  return names;
}

/**
 * JSON text that is safe inside <script type="application/json">: every "<" becomes \u003c,
 * so no string can close the script element ("</script>") or open a comment ("<!--").
 * U+2028/U+2029 are escaped too so the text also stays valid as a JS literal.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Round to `decimals`; non-finite values become null, as JSON would make them anyway. */
export function roundTo(value: number, decimals: number): number | null {
  if (!Number.isFinite(value)) return null;
  const scale = 10 ** decimals;
  const rounded = Math.round(value * scale) / scale;
  return rounded === 0 ? 0 : rounded; // folds -0, which JSON would print as 0 anyway
}

function roundAll(values: Float32Array, decimals: number): number[] {
  // NaN coordinates (should not happen after project) are drawn at the centre rather than dropped
  return Array.from(values, (v) => roundTo(v, decimals) ?? 0.5);
}

function roundDeep(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "number") return Number.isInteger(value) ? value : roundTo(value, VALUE_DECIMALS);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>, roundDeep);
  }
  if (Array.isArray(value)) return value.map(roundDeep);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = roundDeep(item);
    return out;
  }
  return value;
}
