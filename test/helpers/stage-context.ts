import { createRng } from "../../src/core/rng.ts";
import type { StageContext } from "../../src/core/stage.ts";

/** A real StageContext for calling a stage's run() directly in tests (no engine, no cache). */
export function stageContext<P, I>(params: P, inputs: I, seed = 0): StageContext<P, I> & { logs: string[] } {
  const logs: string[] = [];
  return {
    params,
    inputs,
    seed,
    rng: createRng(seed),
    threads: 2,
    signal: new AbortController().signal,
    log: (message) => logs.push(message),
    warn: (message) => logs.push(`warning: ${message}`),
    progress: () => {},
    now: () => performance.now(),
    logs,
  };
}
