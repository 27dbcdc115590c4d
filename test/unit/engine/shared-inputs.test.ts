import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeArtifact } from "../../../src/cache/codec.ts";
import { LocalDriver } from "../../../src/cache/local-driver.ts";
import { matrix } from "../../../src/core/artifact.ts";
import type { StageRequest } from "../../../src/engine/protocol.ts";
import { SharedInputs } from "../../../src/engine/shared-inputs.ts";

describe("SharedInputs: one shared copy of a matrix for the stages running at once that read it", () => {
  const cacheRoot = join(mkdtempSync(join(tmpdir(), "shared-inputs-")), "cache");
  const store = new LocalDriver(cacheRoot);
  const requestFor = (stage: string, hash: string): StageRequest => ({
    stage,
    uses: stage,
    plugins: [],
    projectDir: cacheRoot,
    cacheRoot,
    params: {},
    seed: 1,
    threads: 1,
    inputs: {
      features: { kind: "matrix", hash, expect: { producer: "standardize.features" } },
      info: { kind: "json", hash: "0".repeat(64), expect: { producer: "x.info" } },
    },
  });

  it("hands every concurrent reader the same verified shared bytes, and lets them go after the last", async () => {
    const bytes = encodeArtifact(
      "matrix",
      matrix(
        100,
        4,
        new Float32Array(400).map((_, i) => i),
      ),
    );
    const hash = await store.writeObject(bytes);
    const inputs = new SharedInputs();
    const [a, b] = [requestFor("project", hash), requestFor("classify", hash)];
    const [first, second] = await Promise.all([inputs.acquire(a), inputs.acquire(b)]);
    expect(Object.keys(first)).toEqual([hash]); // the json input is read by the worker itself
    expect(first[hash]!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(second[hash]).toBe(first[hash]);
    expect(Buffer.from(first[hash]!).equals(Buffer.from(bytes))).toBe(true);
    inputs.release(a);
    expect((await inputs.acquire(requestFor("cluster", hash)))[hash]).toBe(first[hash]); // classify still holds it
    inputs.release(b);
    inputs.release(requestFor("cluster", hash));
    expect((await inputs.acquire(a))[hash]).not.toBe(first[hash]); // read afresh once nobody held it
  });

  it("collects the shared memory as soon as the last reader lets it go, before the next stage reads its own", async () => {
    const hash = await store.writeObject(encodeArtifact("matrix", matrix(1000, 8, new Float32Array(8000).fill(1))));
    const inputs = new SharedInputs();
    const request = requestFor("classify", hash);
    // acquired in a frame of its own: a suspended async frame keeps its temporaries alive
    const hold = async () => new WeakRef((await inputs.acquire(request))[hash]!.buffer);
    const held = await hold();
    expect(held.deref()).toBeInstanceOf(SharedArrayBuffer);
    // a WeakRef keeps its target alive until the end of the job that made or read it
    await new Promise((resolve) => setTimeout(resolve, 0));
    inputs.release(request);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(held.deref()).toBeUndefined();
  });

  it("leaves an object it cannot read to the worker, which reports it", async () => {
    const inputs = new SharedInputs();
    expect(await inputs.acquire(requestFor("project", "f".repeat(64)))).toEqual({});
  });
});
