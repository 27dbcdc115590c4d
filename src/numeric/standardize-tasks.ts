/**
 * The work of a parallel standardize, cut into tasks that the calling thread and its helper
 * workers claim from a shared counter. A task's output depends only on its range, never on who
 * runs it, so the bytes are the same for any thread count.
 */
import { applyRows, columnRangeStats, type ColumnStats, type StatsScratch, type ZScorePlan } from "./standardize.ts";

/** What every participant shares (all SharedArrayBuffer-backed): the input and its statistics. */
export interface SharedInput {
  /** row-major rows × cols */
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
  /** cols entries each, written by the stats phase */
  readonly stats: ColumnStats;
}

/**
 * One pass over the matrix: task t covers columns (stats) or rows (zscores) [bounds[t],
 * bounds[t + 1]). Each phase has its own counters, so a helper that sees a phase late finds
 * its tasks all claimed instead of claiming the next phase's.
 */
export type Phase = ({ readonly kind: "stats" } | { readonly kind: "zscores"; readonly plan: ZScorePlan; readonly out: Float32Array }) & {
  readonly bounds: Int32Array;
  /** [next task to claim, tasks finished], shared */
  readonly counters: Int32Array;
};

const NEXT = 0;
const FINISHED = 1;

/** Bounds of tasks `unit` wide over [0, total). */
export function taskBounds(total: number, unit: number): Int32Array {
  return Int32Array.from({ length: Math.ceil(total / unit) + 1 }, (_, t) => Math.min(t * unit, total));
}

export function createCounters(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
}

export function taskCount(phase: Phase): number {
  return phase.bounds.length - 1;
}

/** Tasks of the phase finished so far; what they wrote is visible once they are counted. */
export function finishedTasks(phase: Phase): number {
  return Atomics.load(phase.counters, FINISHED);
}

/** Claims the next task of the phase: its [first, end), or undefined when none is left. */
export function claimTask(phase: Phase): [number, number] | undefined {
  const task = Atomics.add(phase.counters, NEXT, 1);
  if (task >= taskCount(phase)) return undefined;
  return [phase.bounds[task]!, phase.bounds[task + 1]!];
}

/** Runs one claimed task, then counts it as finished. */
export function runTask(input: SharedInput, phase: Phase, [first, end]: [number, number], scratch: () => StatsScratch): void {
  if (phase.kind === "stats") columnRangeStats(input.data, input.rows, input.cols, first, end, input.stats, scratch());
  else applyRows(input.data, input.cols, phase.plan, first, end, phase.out);
  Atomics.add(phase.counters, FINISHED, 1);
}

/** Makes the stats scratch on first use only: a participant without stats tasks never needs it. */
export function lazyScratch(create: () => StatsScratch): () => StatsScratch {
  let made: StatsScratch | undefined;
  return () => (made ??= create());
}
