/**
 * Helper thread of a parallel standardize: for each phase it is sent, claims and runs tasks
 * until none is left, then says so. All data lives in shared memory.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createStatsScratch } from "./standardize.ts";
import { claimTask, lazyScratch, runTask, type Phase, type SharedInput } from "./standardize-tasks.ts";

const input = workerData as SharedInput;
const scratch = lazyScratch(() => createStatsScratch(input.rows));

parentPort!.on("message", (phase: Phase) => {
  for (let range = claimTask(phase); range; range = claimTask(phase)) runTask(input, phase, range, scratch);
  parentPort!.postMessage("idle");
});
