import { parentPort } from "node:worker_threads";
// loaded while the worker waits as a spare (run-worker.ts): every built-in stage declares its
// parameters with zod, so its import is off the stage's clock
import "zod";
import { executeStage } from "./execute-stage.ts";
import type { ControlMessage, WorkerMessage } from "./protocol.ts";

// One stage per worker thread: its memory (parquet-wasm's included) is returned when it exits.
const port = parentPort!;
const controller = new AbortController();
port.on("message", (message: ControlMessage) => {
  if (message.type === "abort") controller.abort();
  else void executeStage(message.request, (m: WorkerMessage) => port.postMessage(m), controller.signal).then(() => port.close());
});
