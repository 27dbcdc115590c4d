import { Worker } from "node:worker_threads";
import { CancelledError } from "../core/errors.ts";
import { compiledUrl } from "../core/paths.ts";
import { createStatsScratch } from "./standardize.ts";
import { claimTask, finishedTasks, lazyScratch, runTask, taskCount, type Phase, type SharedInput } from "./standardize-tasks.ts";

export interface RunOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((fraction: number) => void) | undefined;
  readonly helpersOnly?: boolean | undefined;
}

/**
 * Helper workers plus the calling thread, working through the tasks of one phase at a time.
 * The caller takes part (on 2 cores, one helper and the caller keep both busy) and goes back
 * to the event loop between its tasks, so an abort or a helper's failure is seen within one
 * task. A phase ends when its tasks are finished, not when every helper has answered: on a
 * small input the caller may do it all while a helper is still starting.
 */
export class StandardizePool {
  private closed = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly scratch: ReturnType<typeof lazyScratch>;

  private constructor(
    private readonly input: SharedInput,
    private readonly workers: Worker[],
  ) {
    this.scratch = lazyScratch(() => createStatsScratch(input.rows));
    for (const worker of workers) {
      worker.on("message", () => this.wake?.());
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (!this.closed) this.fail(new Error(`standardize worker stopped unexpectedly (exit code ${code})`));
      });
    }
  }

  /** Starts `helpers` workers; they boot while the caller fills `input.data`. */
  static start(input: SharedInput, helpers: number): StandardizePool {
    const url = compiledUrl(import.meta.url, "./standardize-worker.js");
    return new StandardizePool(
      input,
      Array.from({ length: helpers }, () => new Worker(url, { workerData: input })),
    );
  }

  /**
   * Runs every task of `phase`; onProgress gets the finished share of them after each of ours.
   * With `helpersOnly` the caller just waits (tests use it to make the helpers do all the work).
   */
  async run(phase: Phase, options: RunOptions = {}): Promise<void> {
    if (this.closed) throw new Error("standardize pool is closed");
    const { signal, onProgress, helpersOnly = false } = options;
    const tasks = taskCount(phase);
    const onAbort = (): void => this.wake?.();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (const worker of this.workers) worker.postMessage(phase);
      while (!helpersOnly) {
        await _nextTurn(); // lets in the abort message and the helpers' errors
        this.check(signal);
        const range = claimTask(phase);
        if (!range) break;
        runTask(this.input, phase, range, this.scratch);
        onProgress?.(finishedTasks(phase) / tasks);
      }
      // the helpers finish the tasks they hold; each says so when it runs out of tasks
      while (finishedTasks(phase) < tasks) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.check(signal);
        onProgress?.(finishedTasks(phase) / tasks);
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private check(signal: AbortSignal | undefined): void {
    if (this.failure) throw this.failure;
    if (signal?.aborted) throw new CancelledError("standardize");
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }
}

function _nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
