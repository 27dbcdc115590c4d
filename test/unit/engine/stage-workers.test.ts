import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { encodeArtifact } from "../../../src/cache/codec.ts";
import { LocalDriver } from "../../../src/cache/local-driver.ts";
import { matrix } from "../../../src/core/artifact.ts";
import type { StageRequest } from "../../../src/engine/protocol.ts";
import { StageWorkers } from "../../../src/engine/run-worker.ts";

const request: StageRequest = {
  stage: "s",
  uses: "s",
  plugins: [],
  projectDir: ".",
  cacheRoot: ".",
  params: {},
  seed: 0,
  threads: 1,
  inputs: {},
};
const hooks = { onLog: () => {}, onProgress: () => {}, onWarning: () => {} };

function workerModule(source: string): URL {
  const file = join(mkdtempSync(join(tmpdir(), "stage-workers-")), "worker.mjs");
  writeFileSync(file, source);
  return pathToFileURL(file);
}

describe("StageWorkers", () => {
  it("reports a worker that fails while booting as a stage error, for the spare and the ones after it", async () => {
    const workers = new StageWorkers(workerModule(`throw new Error("boom at import");`));
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // the spare has died by now
      for (const more of [true, false]) {
        const message = await workers.execute(request, hooks, new AbortController().signal, more);
        expect(message.type).toBe("error");
        expect(message.type === "error" && message.error.message).toMatch(/boom at import/);
      }
    } finally {
      await workers.close();
    }
  });

  it("hands each stage its own worker, booted ahead, and stops the spare on close", async () => {
    // a stand-in stage worker: answers "done" with its thread id
    const url = workerModule(`
      import { parentPort, threadId } from "node:worker_threads";
      parentPort.on("message", (m) => {
        if (m.type !== "run") return;
        parentPort.postMessage({ type: "done", outputs: { id: { hash: String(threadId), size: 0, kind: "json" } } });
        parentPort.close();
      });
    `);
    const workers = new StageWorkers(url);
    const ids: string[] = [];
    for (const more of [true, true, false]) {
      const message = await workers.execute(request, hooks, new AbortController().signal, more);
      expect(message.type).toBe("done");
      if (message.type === "done") ids.push(message.outputs["id"]!.hash);
    }
    expect(new Set(ids).size).toBe(3);
    await workers.close();
  });

  it("answers once the stage's thread has exited, and terminates one that a stray timer keeps alive", async () => {
    // says "done", then lingers: 400 ms before it lets go, for ever with a timer, or throws from a timer
    const url = workerModule(`
      import { parentPort } from "node:worker_threads";
      parentPort.on("message", (m) => {
        if (m.type !== "run") return;
        parentPort.postMessage({ type: "log", message: "answering" });
        parentPort.postMessage({ type: "done", outputs: {} });
        if (m.request.stage === "lingers") setTimeout(() => parentPort.close(), 400);
        else if (m.request.stage === "stuck") setInterval(() => {}, 1000);
        else setTimeout(() => { throw new Error("a stray timer after done"); }, 50);
      });
    `);
    const workers = new StageWorkers(url);
    try {
      for (const [stage, atLeastMs] of [
        ["lingers", 390],
        ["stuck", 990],
        ["throws late", 40],
      ] as const) {
        let answering = Number.NaN;
        const logged = { ...hooks, onLog: () => void (answering = performance.now()) };
        const message = await workers.execute({ ...request, stage }, logged, new AbortController().signal, true);
        expect(message.type, stage).toBe("done"); // an error after "done" does not undo the stage
        expect(performance.now() - answering, stage).toBeGreaterThanOrEqual(atLeastMs);
      }
    } finally {
      await workers.close();
    }
  });

  it("lets a stage's shared input go once the stage has answered: nothing of the engine's keeps it", async () => {
    const cacheRoot = join(mkdtempSync(join(tmpdir(), "stage-workers-")), "cache");
    const hash = await new LocalDriver(cacheRoot).writeObject(encodeArtifact("matrix", matrix(1000, 8, new Float32Array(8000))));
    const held: WeakRef<ArrayBufferLike>[] = [];
    // wrapped by hand: a vitest spy would keep every value it returned
    const read = LocalDriver.prototype.readObject;
    LocalDriver.prototype.readObject = async function (this: LocalDriver, ...args) {
      const bytes = await read.apply(this, args);
      if (bytes) held.push(new WeakRef(bytes.buffer));
      return bytes;
    };
    const url = workerModule(`
      import { parentPort } from "node:worker_threads";
      parentPort.on("message", (m) => {
        if (m.type !== "run") return;
        const ok = Object.values(m.request.shared ?? {}).every((b) => b.buffer instanceof SharedArrayBuffer);
        parentPort.postMessage({ type: ok ? "done" : "error", outputs: {}, error: { name: "Error", message: "no shared input" } });
        parentPort.close();
      });
    `);
    const workers = new StageWorkers(url);
    try {
      const features = { kind: "matrix" as const, hash, expect: { producer: "standardize.features" } };
      const message = await workers.execute({ ...request, cacheRoot, inputs: { features } }, hooks, new AbortController().signal, false);
      expect(message.type).toBe("done");
      expect(held).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the engine collects in the next turn
      expect(held[0]!.deref()).toBeUndefined();
    } finally {
      LocalDriver.prototype.readObject = read;
      await workers.close();
    }
  });
});
