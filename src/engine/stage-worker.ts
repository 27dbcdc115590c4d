import { parentPort, workerData } from "node:worker_threads";
import { executeStage } from "./execute-stage.ts";
import type { ControlMessage, StageRequest, WorkerMessage } from "./protocol.ts";

// One stage per worker thread: its memory (parquet-wasm's included) is returned when it exits.
const port = parentPort!;
const controller = new AbortController();
port.on("message", (message: ControlMessage) => {
  if (message.type === "abort") controller.abort();
});
await executeStage(workerData as StageRequest, (m: WorkerMessage) => port.postMessage(m), controller.signal);
port.close();
