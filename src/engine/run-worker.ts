import { Worker } from "node:worker_threads";
import { compiledUrl } from "../core/paths.ts";
import type { ControlMessage, StageRequest, WorkerMessage } from "./protocol.ts";
import { SharedInputs } from "./shared-inputs.ts";

export interface WorkerHooks {
  onLog(message: string): void;
  onWarning(message: string): void;
  onProgress(fraction: number, detail?: string): void;
}

type FinalMessage = Extract<WorkerMessage, { type: "done" | "error" | "corrupt-input" }>;

const STAGE_WORKER = compiledUrl(import.meta.url, "./stage-worker.js");
/** how long a stage's thread may take to exit after its final message before it is terminated */
const EXIT_GRACE_MS = 1000;

/**
 * Stage workers started ahead of need. Booting one (a V8 isolate, the cache codec with
 * apache-arrow, zod) takes ~0.2 s, so a run keeps one spare booting while it plans and while
 * earlier stages work: each stage takes the spare and, if more may follow, a new one starts
 * behind it. A spare is unref'd until taken (it never keeps the process alive); close()
 * terminates the last one.
 * Every worker still runs exactly one stage and exits, so no state crosses stages.
 */
export class StageWorkers {
  private spare: Spare | undefined;
  private closed = false;
  private readonly sharedInputs = new SharedInputs();

  constructor(private readonly url: URL = STAGE_WORKER) {
    this.spare = this.boot();
  }

  /**
   * The engine's executor: runs one stage in the spare (or a fresh worker), and boots the next
   * spare only when `more` stages may follow (a needless boot slows the stage on 2 cores).
   */
  readonly execute = async (request: StageRequest, hooks: WorkerHooks, signal: AbortSignal, more = true): Promise<FinalMessage> => {
    const taken = this.spare && !this.spare.failed ? this.spare : this.boot();
    this.spare = this.closed || !more ? undefined : this.boot();
    try {
      const shared = await this.sharedInputs.acquire(request); // read while the worker boots
      return await runInWorker(taken, { ...request, shared }, hooks, signal);
    } finally {
      this.sharedInputs.release(request);
    }
  };

  async close(): Promise<void> {
    this.closed = true;
    const spare = this.spare;
    this.spare = undefined;
    await spare?.worker.terminate();
  }

  private boot(): Spare {
    const spare: Spare = { worker: new Worker(this.url), failed: undefined };
    // a spare that dies before it is taken is noted here (an unheard "error" would throw) and
    // never handed a stage; runInWorker reports it when it is the only worker there is
    spare.worker.once("error", (error) => (spare.failed ??= error));
    spare.worker.once("exit", (code) => (spare.failed ??= new Error(`worker exited with code ${code} before starting`)));
    spare.worker.unref();
    return spare;
  }
}

interface Spare {
  worker: Worker;
  failed: Error | undefined;
}

/** Result of one stage worker: its final message (done, error or corrupt-input). */
function runInWorker({ worker, failed }: Spare, request: StageRequest, hooks: WorkerHooks, signal: AbortSignal): Promise<FinalMessage> {
  if (failed)
    return Promise.resolve({ type: "error", error: { name: failed.name, message: `the stage worker could not start: ${failed.message}` } });
  // no closure below sees the request: it holds the stage's shared inputs (896 MB at a million
  // windows), which must be unreachable here once the worker has them
  const answer = answerOf(worker, hooks, signal);
  worker.postMessage({ type: "run", request } satisfies ControlMessage);
  return answer;
}

/**
 * The worker's final message, once its thread has exited and returned its memory (a million
 * windows' KNN memory is 1.4 GB), so the next stage never starts beside a dying one. A worker
 * that a stray handle (a plugin's timer) keeps alive after answering is terminated.
 */
function answerOf(worker: Worker, hooks: WorkerHooks, signal: AbortSignal): Promise<FinalMessage> {
  return new Promise((resolve) => {
    let final: FinalMessage | undefined;
    const timers: NodeJS.Timeout[] = [];
    const terminateIn = (ms: number) => timers.push(setTimeout(() => void worker.terminate(), ms).unref());
    const finish = (message: FinalMessage) => {
      signal.removeEventListener("abort", onAbort);
      timers.forEach(clearTimeout);
      worker.removeAllListeners().on("error", () => undefined); // an error after the answer is not news
      resolve(message);
    };
    // abort politely first; a stage stuck in a long synchronous loop is terminated
    const onAbort = () => {
      worker.postMessage({ type: "abort" } satisfies ControlMessage);
      terminateIn(2000);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    // the first final message (or uncaught error) is the answer; it is given on exit
    const answer = (message: FinalMessage) => {
      if (final) return; // a stray timer's error after "done" does not undo the stage
      final = message;
      terminateIn(EXIT_GRACE_MS);
    };
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "log") hooks.onLog(message.message);
      else if (message.type === "warning") hooks.onWarning(message.message);
      else if (message.type === "progress") hooks.onProgress(message.fraction, message.detail);
      else answer(message);
    });
    worker.on("error", (error) =>
      answer({ type: "error", error: { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) } }),
    );
    worker.on("exit", (code) => {
      if (final) return finish(final);
      const message = signal.aborted ? "interrupted" : `worker exited with code ${code} before finishing`;
      finish({
        type: "error",
        error: {
          name: signal.aborted ? "CancelledError" : "Error",
          message,
          ...(signal.aborted ? { exitCode: 130, code: "E_INTERRUPTED" } : {}),
        },
      });
    });
    worker.ref();
    if (signal.aborted) queueMicrotask(onAbort); // after runInWorker has posted the run
  });
}
