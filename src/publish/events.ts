/**
 * The dashboard wire format (SPEC section 4): one JSON object per POST. These zod schemas are
 * the single definition shared by the publisher, the tests (which validate what a real server
 * received) and `--dry-run`.
 */
import { z } from "zod";
import type { Table } from "../core/artifact.ts";
import { DASHBOARD_PHASES } from "../core/phases.ts";

export type DashboardPhase = (typeof DASHBOARD_PHASES)[number];

const phase = z.enum(DASHBOARD_PHASES).describe("phase name from the dashboard's closed enum");

export const embeddingEventSchema = z.strictObject({
  type: z.literal("embedding"),
  x: z.number().describe("projected x in [0, 1]"),
  y: z.number().describe("projected y in [0, 1]"),
  z: z.number().describe("projected z in [0, 1]"),
  phase: phase.describe("ground-truth phase of the window"),
  predicted: phase.describe("phase the KNN predicted"),
  cluster: z.number().int().describe("k-means cluster id"),
});

export const modelMetricEventSchema = z.strictObject({
  type: z.literal("model_metric"),
  model: z.literal("knn"),
  accuracy: z.number().describe("macro F1 on the held-out test rows"),
});

export const modelPerfEventSchema = z.strictObject({
  type: z.literal("model_perf"),
  model: z.literal("knn"),
  latency_us: z.number().describe("inference latency per window at batch 64, microseconds"),
  accuracy: z.number().describe("macro F1, as in model_metric"),
});

export const publishEventSchema = z.discriminatedUnion("type", [embeddingEventSchema, modelMetricEventSchema, modelPerfEventSchema]);

export type EmbeddingEvent = z.infer<typeof embeddingEventSchema>;
export type ModelMetricEvent = z.infer<typeof modelMetricEventSchema>;
export type ModelPerfEvent = z.infer<typeof modelPerfEventSchema>;
export type PublishEvent = z.infer<typeof publishEventSchema>;

/** What publish needs from evaluate's metrics. */
export interface ModelMetrics {
  readonly macroF1: number;
  readonly batch64PerWindowMs: number;
}

/**
 * Phase code → dashboard name. Any code outside the enum (failed = 5, or garbage) is sent as
 * `clean`, as the seed's `_safe_phase` does, because the dashboard rejects unknown names.
 */
export function dashboardPhase(code: number): DashboardPhase {
  return (Number.isInteger(code) ? DASHBOARD_PHASES[code] : undefined) ?? "clean";
}

/** The two model events, in the order stream re-sends them each cycle. */
export function buildModelEvents(metrics: ModelMetrics): [ModelMetricEvent, ModelPerfEvent] {
  return [
    { type: "model_metric", model: "knn", accuracy: metrics.macroF1 },
    {
      type: "model_perf",
      model: "knn",
      latency_us: metrics.batch64PerWindowMs * 1000,
      accuracy: metrics.macroF1,
    },
  ];
}

/**
 * One embedding event per selected row of a fit table (columns x, y, z, phase_int,
 * predicted_int, cluster; see `readFit`). Rows are emitted in selection order.
 */
export function buildEmbeddingEvents(fit: Table, selection: ArrayLike<number>): EmbeddingEvent[] {
  const [x, y, z, phaseInt, predictedInt, cluster] = FIT_EVENT_COLUMNS.map((name) => numericColumn(fit, name));
  const events = new Array<EmbeddingEvent>(selection.length);
  for (let s = 0; s < selection.length; s++) {
    const i = selection[s]!;
    events[s] = {
      type: "embedding",
      x: x![i]!,
      y: y![i]!,
      z: z![i]!,
      phase: dashboardPhase(phaseInt![i]!),
      predicted: dashboardPhase(predictedInt![i]!),
      cluster: cluster![i]!,
    };
  }
  return events;
}

/** The publish stage's order: the selected points, then model_metric and model_perf. */
export function buildEvents(fit: Table, metrics: ModelMetrics, selection: ArrayLike<number>): PublishEvent[] {
  return [...buildEmbeddingEvents(fit, selection), ...buildModelEvents(metrics)];
}

/** The fit columns an embedding event is made of. */
export const FIT_EVENT_COLUMNS = ["x", "y", "z", "phase_int", "predicted_int", "cluster"] as const;

function numericColumn(fit: Table, name: string): ArrayLike<number> {
  const column = fit[name];
  if (column === undefined || Array.isArray(column)) {
    throw new TypeError(`fit table has no numeric column ${name}`);
  }
  return column as ArrayLike<number>;
}
