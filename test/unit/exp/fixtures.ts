import type { StageResult } from "../../../src/core/events.ts";
import type { RunLog } from "../../../src/engine/run-log.ts";

/** A stage result with just what exp reads. */
export function stage(name: string, status: StageResult["status"], metrics?: Record<string, number>): StageResult {
  return { name, status, ms: 1, key: status === "skipped" ? null : `${name}-key`, reason: "", ...(metrics ? { metrics } : {}) };
}

const BASE_PARAMS = {
  project: { method: "lda", sample_for_fit: 50000 },
  cluster: { k: 8, n_init: 4 },
  evaluate: {},
};

/** A run log; `minute` orders runs in time (higher is newer). */
export function runLog(minute: number, o: Partial<RunLog> & { k?: number; method?: string; f1?: number; inertia?: number } = {}): RunLog {
  const mm = String(minute).padStart(2, "0");
  const { k, method, f1, inertia, ...rest } = o;
  return {
    id: `2026-01-01T10-${mm}-00-000Z-100`,
    started: `2026-01-01T10:${mm}:00.000Z`,
    ms: 1000,
    ok: true,
    command: "pipeline run",
    seed: 0,
    config: "yaml",
    inputBytesHashed: 0,
    params: {
      ...BASE_PARAMS,
      project: { ...BASE_PARAMS.project, method: method ?? "lda" },
      cluster: { ...BASE_PARAMS.cluster, k: k ?? 8 },
    },
    stages: [
      stage("project", "ran"),
      stage("cluster", "ran", { inertia: inertia ?? 2.1e7 }),
      stage("evaluate", "cached", { macro_f1: f1 ?? 0.77, "latency.single_window_ms": 5.6 }),
    ],
    ...rest,
  };
}
