import { canonicalJson } from "../core/hash.ts";
import type { RunLog } from "../engine/run-log.ts";
import { metricValues, paramValues, type RunValue } from "./run-values.ts";

/**
 * DVC's diff rows: `path` is the stage ("" for the global seed), `name` the parameter or metric.
 * A side that does not have the value holds null.
 */
export interface ParamsDiffRow {
  path: string;
  name: string;
  old: unknown;
  new: unknown;
}

export interface MetricsDiffRow {
  path: string;
  name: string;
  old: number | null;
  new: number | null;
  /** new - old when both sides have the metric */
  change: number | null;
}

export interface DiffOptions {
  /** also the rows whose value is the same on both sides */
  all?: boolean;
}

/** Parameters of run `a` (old) against run `b` (new), compared by canonical JSON. */
export function diffParams(a: RunLog, b: RunLog, options: DiffOptions = {}): ParamsDiffRow[] {
  return _pair(paramValues(a), paramValues(b))
    .filter(([o, n]) => options.all || _spelling(o) !== _spelling(n))
    .map(([o, n]) => {
      const at = (o ?? n)!;
      return { path: at.path, name: at.name, old: o ? o.value : null, new: n ? n.value : null };
    });
}

/** Metrics of run `a` (old) against run `b` (new). */
export function diffMetrics(a: RunLog, b: RunLog, options: DiffOptions = {}): MetricsDiffRow[] {
  return _pair(metricValues(a), metricValues(b))
    .filter(([o, n]) => options.all || o?.value !== n?.value)
    .map(([o, n]) => {
      const at = (o ?? n)!;
      const old = o ? (o.value as number) : null;
      const now = n ? (n.value as number) : null;
      return { path: at.path, name: at.name, old, new: now, change: old !== null && now !== null ? now - old : null };
    });
}

/** Values of both sides matched by column: a's order first, then what only b has. */
function _pair(a: readonly RunValue[], b: readonly RunValue[]): [RunValue | undefined, RunValue | undefined][] {
  const inB = new Map(b.map((v) => [v.column, v]));
  const pairs: [RunValue | undefined, RunValue | undefined][] = a.map((v) => [v, inB.get(v.column)]);
  const inA = new Set(a.map((v) => v.column));
  for (const v of b) if (!inA.has(v.column)) pairs.push([undefined, v]);
  return pairs;
}

function _spelling(value: RunValue | undefined): string | undefined {
  return value ? canonicalJson(value.value) : undefined;
}
