import type { z } from "zod";
import type { InputKind, Json, SlotKind, SlotValues } from "./artifact.ts";
import type { Rng } from "./rng.ts";

export interface InputSlot<K extends InputKind = InputKind> {
  readonly kind: K;
  readonly description: string;
}

export interface OutputSlot<K extends SlotKind = SlotKind> {
  readonly kind: K;
  readonly description: string;
  /**
   * Top-level fields of a json output that hold measurements (timings), so they differ from
   * run to run by nature; `pipeline run --check` leaves them out of its comparison.
   */
  readonly measured?: readonly string[];
  /** json: top-level fields every value of this slot has (an entry lacking them is damaged) */
  readonly fields?: readonly string[];
  /** table: columns every value of this slot has */
  readonly columns?: readonly string[];
  /** matrix: every value is finite (`pipeline cache verify` checks it; a scan is too dear on every read) */
  readonly finite?: boolean;
  /**
   * json: the metrics this output holds, "metric" -> number (`exp show` names them
   * STAGE.METRIC); every run log records them, so comparing runs never needs the objects
   */
  readonly metrics?: (value: Json) => Record<string, number>;
  /** json: the metrics `pipeline run` ends with (a subset of `metrics`' names) */
  readonly headline?: readonly string[];
}

export interface JsonSlotOptions {
  readonly measured?: readonly string[];
  readonly fields?: readonly string[];
  readonly metrics?: (value: Json) => Record<string, number>;
  readonly headline?: readonly string[];
}

/** Slot constructors, so a stage file reads `inputs: { features: slot.matrix("...") }`. */
export const slot = {
  matrix: (description: string, options: { finite?: boolean } = {}) =>
    ({ kind: "matrix", description, ...options }) as { readonly kind: "matrix"; readonly description: string; readonly finite?: boolean },
  table: (description: string, options: { columns?: readonly string[] } = {}) =>
    ({ kind: "table", description, ...options }) as {
      readonly kind: "table";
      readonly description: string;
      readonly columns?: readonly string[];
    },
  json: (description: string, options: JsonSlotOptions = {}) =>
    ({ kind: "json", description, ...options }) as { readonly kind: "json"; readonly description: string } & JsonSlotOptions,
  file: (description: string) => ({ kind: "file", description }) as const,
  path: (description: string) => ({ kind: "path", description }) as const,
};

export type InputValues<I extends Record<string, InputSlot>> = {
  readonly [K in keyof I]: SlotValues[I[K]["kind"]];
};
export type OutputValues<O extends Record<string, OutputSlot>> = {
  [K in keyof O]: SlotValues[O[K]["kind"]];
};

export interface StageContext<P, I> {
  readonly params: P;
  readonly inputs: I;
  /** this stage's seed, derived from the global seed and the stage name */
  readonly seed: number;
  /** a PRNG seeded with `seed`; the only randomness a stage may use */
  readonly rng: Rng;
  /** worker threads the stage may use for its own parallel work */
  readonly threads: number;
  /** fires when the run is interrupted; long loops check it (or pass it on) */
  readonly signal: AbortSignal;
  log(message: string): void;
  /** something the user should see in every run's output, not only with --verbose */
  warn(message: string): void;
  /** fraction in [0, 1] of this stage's work done; shown in the progress row */
  progress(fraction: number, detail?: string): void;
  /**
   * A monotonic clock in milliseconds. Only for stages whose *result* is a measurement
   * (evaluate's latency); everything else must not depend on time.
   */
  now(): number;
}

export interface StageDef<
  P extends z.ZodType = z.ZodType,
  I extends Record<string, InputSlot> = Record<string, InputSlot>,
  O extends Record<string, OutputSlot> = Record<string, OutputSlot>,
> {
  readonly name: string;
  /** bump when the stage's code changes its results: the cache key includes it */
  readonly version: string;
  readonly summary: string;
  /** zod schema of the params; `.describe()` on each field feeds `pipeline explain` */
  readonly params: P;
  readonly inputs: I;
  readonly outputs: O;
  /**
   * An effect (publish): never cached, never run by a plain `pipeline run`, only when asked
   * for by name or `--publish`.
   */
  readonly effect?: boolean;
  run(ctx: StageContext<z.output<P>, InputValues<I>>): Promise<OutputValues<O>> | OutputValues<O>;
  /**
   * A stage whose work splits over row ranges (classify's KNN queries). The engine may then
   * compute it as shards, each a cache entry of its own, anywhere (another CI job, a queue
   * worker), and merge them here. The merge must give the bytes `run` gives, whatever the
   * shard count: the stage's key does not depend on it.
   */
  readonly shards?: ShardSpec<z.output<P>, InputValues<I>, OutputValues<O>>;
}

/** How a shardable stage computes one shard and merges them (see StageDef.shards). */
export interface ShardSpec<P = unknown, I = unknown, O = unknown> {
  /** the partial outputs one shard produces */
  readonly outputs: Record<string, OutputSlot>;
  /** the input slots merge reads (the others, a features matrix, are not fetched for it) */
  readonly mergeInputs: readonly string[];
  /** shard `shard.index` of `shard.count`; it picks its own rows with shardRows (src/core/shard.ts) */
  run(ctx: StageContext<P, I> & { readonly shard: { readonly index: number; readonly count: number } }): Promise<Record<string, unknown>>;
  /** the stage's outputs from every shard's outputs, in shard order */
  merge(ctx: StageContext<P, Partial<I>>, shards: readonly Record<string, unknown>[]): Promise<O>;
}

/** What defineStage takes: a stage definition whose version ("1") and summary ("") may be left out. */
export type StageSpec<P extends z.ZodType, I extends Record<string, InputSlot>, O extends Record<string, OutputSlot>> = Omit<
  StageDef<P, I, O>,
  "version" | "summary"
> &
  Partial<Pick<StageDef<P, I, O>, "version" | "summary">>;

/**
 * A stage definition with its defaults filled in; it exists so TypeScript infers the params,
 * inputs and outputs of a stage (`run` sees their types).
 */
export function defineStage<P extends z.ZodType, I extends Record<string, InputSlot>, O extends Record<string, OutputSlot>>(
  def: StageSpec<P, I, O>,
): StageDef<P, I, O> {
  if (def.version !== undefined && def.summary !== undefined) return def as StageDef<P, I, O>;
  return { ...def, version: def.version ?? "1", summary: def.summary ?? "" };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStage = StageDef<z.ZodType, Record<string, InputSlot>, Record<string, OutputSlot>>;
