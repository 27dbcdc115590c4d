import { wasm, type WasmModule } from "./wasm-api.ts";
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { CancelledError } from "../core/errors.ts";
import { compiledUrl, wasmPath } from "../core/paths.ts";
import { fillSharedMemory } from "./layout.ts";
import type { PruneProjection } from "./prune-fit.ts";
import {
  NO_COUNTS,
  type PruneMode,
  type RefSlice,
  type TaskCounts,
  type WorkerInit,
  type WorkerReply,
  type WorkerTask,
} from "./protocol.ts";
import type { ShortlistKernel } from "./types.ts";

export type TaskBody =
  | { kind: "rows"; queries: Int32Array; k: number; prune: PruneMode }
  | { kind: "vectors"; vectors: Float32Array; k: number; slice?: RefSlice };

let kernelModule: Promise<WasmModule> | undefined;

function loadKernel(): Promise<WasmModule> {
  const loading = kernelModule ?? wasm.compile(readFileSync(wasmPath("knn-kernel")));
  kernelModule = loading;
  return loading;
}

/**
 * Worker threads sharing one wasm memory that holds the data matrix, its norms and the
 * reference groups. Tasks go to whichever worker is free; each reply is keyed by task index,
 * so the assembled result never depends on which worker ran what.
 */
export class KnnPool {
  private closed = false;

  private constructor(private readonly workers: Worker[]) {}

  /** `rowIds`: the rows of `data` to hold, in that order (all of them without it); see fillSharedMemory. */
  static async start(
    data: Float32Array,
    dims: number,
    groups: readonly Int32Array[],
    threads: number,
    kernel: ShortlistKernel,
    projection?: PruneProjection,
    rowIds?: Int32Array,
  ): Promise<KnnPool> {
    const count = Math.max(1, Math.floor(threads));
    const module = await loadKernel();
    const { memory, layout } = fillSharedMemory(data, dims, groups, count, projection, kernel === "int16", rowIds);
    const url = compiledUrl(import.meta.url, "./knn-worker.js");
    const workers = Array.from({ length: count }, (_, slot) => {
      const init: WorkerInit = { module, memory, layout, slot };
      return new Worker(url, { workerData: init });
    });
    return new KnnPool(workers);
  }

  /** Runs every task; onReply(index, reply) is called as each finishes. Resolves with the tasks' counts summed. */
  run(tasks: readonly TaskBody[], onReply: (index: number, reply: WorkerReply) => void, signal?: AbortSignal): Promise<TaskCounts> {
    if (this.closed) return Promise.reject(new Error("knn pool is closed"));
    if (signal?.aborted) return this.cancel();
    return new Promise<TaskCounts>((resolve, reject) => {
      let next = 0;
      let pending = 0;
      const counts: TaskCounts = { ...NO_COUNTS };
      const cleanup: (() => void)[] = [];
      const finish = (error?: unknown): void => {
        cleanup.forEach((undo) => undo());
        if (error === undefined) resolve(counts);
        else reject(error);
      };
      const feed = (worker: Worker): void => {
        if (next >= tasks.length) {
          if (pending === 0) finish();
          return;
        }
        const task: WorkerTask = { ...tasks[next]!, id: next } as WorkerTask;
        next++;
        pending++;
        worker.postMessage(task);
      };
      for (const worker of this.workers) {
        const onMessage = (reply: WorkerReply): void => {
          pending--;
          for (const key of Object.keys(counts) as (keyof TaskCounts)[]) counts[key] += reply.counts[key];
          onReply(reply.id, reply);
          feed(worker);
        };
        const onError = (error: Error): void => finish(error);
        const onExit = (code: number): void => {
          if (!this.closed) finish(new Error(`knn worker stopped unexpectedly (exit code ${code})`));
        };
        worker.on("message", onMessage).on("error", onError).on("exit", onExit);
        cleanup.push(() => worker.off("message", onMessage).off("error", onError).off("exit", onExit));
      }
      const onAbort = (): void => void this.cancel().catch(finish);
      signal?.addEventListener("abort", onAbort, { once: true });
      cleanup.push(() => signal?.removeEventListener("abort", onAbort));
      if (tasks.length === 0) finish();
      else this.workers.forEach(feed);
    });
  }

  /** Terminates the workers (a kernel call cannot be interrupted otherwise) and rejects. */
  private async cancel(): Promise<never> {
    await this.close();
    throw new CancelledError("knn search");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
