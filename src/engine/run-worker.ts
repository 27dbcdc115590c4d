import { Worker } from "node:worker_threads";
import { compiledUrl } from "../core/paths.ts";
import type { StageRequest, WorkerMessage } from "./protocol.ts";

export interface WorkerHooks {
  onLog(message: string): void;
  onProgress(fraction: number, detail?: string): void;
}

/** Result of one stage worker: its final message (done, error or corrupt-input). */
export function runStageInWorker(
  request: StageRequest,
  hooks: WorkerHooks,
  signal: AbortSignal,
): Promise<Extract<WorkerMessage, { type: "done" | "error" | "corrupt-input" }>> {
  return new Promise((resolve) => {
    const worker = new Worker(compiledUrl(import.meta.url, "./stage-worker.js"), { workerData: request });
    let settled = false;
    const finish = (message: Extract<WorkerMessage, { type: "done" | "error" | "corrupt-input" }>) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      resolve(message);
    };
    // abort politely first; a stage stuck in a long synchronous loop is terminated
    const onAbort = () => {
      worker.postMessage({ type: "abort" });
      setTimeout(() => void worker.terminate(), 2000).unref();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "log") hooks.onLog(message.message);
      else if (message.type === "progress") hooks.onProgress(message.fraction, message.detail);
      else finish(message);
    });
    worker.on("error", (error) => finish({ type: "error", error: { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) } }));
    worker.on("exit", (code) => {
      const message = signal.aborted ? "interrupted" : `worker exited with code ${code} before finishing`;
      finish({ type: "error", error: { name: signal.aborted ? "CancelledError" : "Error", message, ...(signal.aborted ? { exitCode: 130, code: "E_INTERRUPTED" } : {}) } });
    });
  });
}
