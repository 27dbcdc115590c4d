/** What the engine tells reporters, in order. Reporters render; they never decide anything. */
export type PipelineEvent =
  | { type: "run:start"; stages: readonly string[] }
  | { type: "stage:cached"; stage: string; key: string; from?: "local" | "remote" }
  | { type: "stage:start"; stage: string; key: string; reasons: readonly string[] }
  | { type: "stage:would-run"; stage: string; key: string; reasons: readonly string[] }
  | { type: "stage:progress"; stage: string; fraction: number; detail?: string }
  | { type: "stage:log"; stage: string; message: string }
  | { type: "stage:done"; stage: string; key: string; ms: number }
  /** one shard of a sharded stage: found cached (here or on the remote), queued, running, done (where) */
  | {
      type: "stage:shard";
      stage: string;
      index: number;
      count: number;
      state: "cached" | "remote" | "queued" | "running" | "done";
      where?: string;
      ms?: number;
    }
  | { type: "stage:failed"; stage: string; message: string; hint?: string }
  | { type: "stage:skipped"; stage: string; because: string }
  | { type: "output:written"; stage: string; path: string }
  /** `stage` when the warning is about one stage (a terminal shows it under that stage's row) */
  | { type: "warning"; message: string; stage?: string }
  | { type: "run:end"; ok: boolean; ms: number };

/** "would-run" only in a dry run (and the plan that status and explain read). */
export type StageStatus = "ran" | "cached" | "skipped" | "failed" | "would-run";

/**
 * Why a stage runs (or would): a closed set of codes, each with its prose. The key-part codes
 * name what changed since the stage's last recorded run.
 */
export interface RunReason {
  code:
    | "never-run"
    | "forced"
    | "effect"
    | "entry-missing"
    | "engine"
    | "version"
    | "code"
    | "command"
    | "seed"
    | "params"
    | "input"
    | "input-file";
  detail: string;
}

export interface StageResult {
  name: string;
  status: StageStatus;
  ms: number;
  key: string | null;
  reason: string;
  /** the key record, when the key could be computed */
  parts?: Record<string, unknown>;
  outputs?: Record<string, { hash: string; size: number; kind: "matrix" | "table" | "json" | "file" }>;
  exitCode?: number;
  hint?: string;
  /** ran or would-run: why */
  reasons?: RunReason[];
  /** ran or cached: the metrics its json outputs declare, "metric" -> value (exp show's columns as STAGE.METRIC) */
  metrics?: Record<string, number>;
  /** cached: which tier held the entry */
  from?: "local" | "remote";
  /** skipped because these stages failed (directly upstream or further up) */
  blockedBy?: string[];
  /** a sharded stage computed in shards: the count, and which shards ran here, were cached here or came from the remote */
  shards?: { count: number; ran: number[]; local: number[]; remote: number[]; merged: boolean };
  /** ran or failed: the last LOG_TAIL_LINES lines the stage logged (a command stage: its stdout and stderr) */
  log?: string[];
}

/** A run log keeps this many of the last lines each stage logged, each cut at LOG_LINE_CHARS characters. */
export const LOG_TAIL_LINES = 100;
export const LOG_LINE_CHARS = 400;
