import { mkdtempSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sha256 } from "../../../src/core/hash.ts";
import { executeStage } from "../../../src/engine/execute-stage.ts";
import type { StageRequest, WorkerMessage } from "../../../src/engine/protocol.ts";

/*
 * The chaos case: load's key names the hash taken before its worker read the files; the file
 * was swapped in between. The worker must prove it read the bytes the key names, or store nothing.
 */
describe("a stage reading an input file that changed after it was hashed", () => {
  function loadRequest(schemaOnDisk: string, schemaHashedAs: string): { request: StageRequest; cacheRoot: string } {
    const dir = mkdtempSync(join(tmpdir(), "input-proof-"));
    const schema = join(dir, "feature_schema_v1.json");
    const windows = join(dir, "features_window_v1.parquet");
    writeFileSync(schema, schemaOnDisk);
    writeFileSync(windows, "not read in this test");
    const cacheRoot = join(dir, "cache");
    const request: StageRequest = {
      stage: "load",
      uses: "load",
      plugins: [],
      projectDir: dir,
      cacheRoot,
      params: { max_rows: null },
      seed: 1,
      threads: 1,
      inputs: {
        schema: { kind: "path", file: { path: schema, display: "feature_schema_v1.json", hash: sha256(schemaHashedAs) } },
        windows: { kind: "path", file: { path: windows, display: "features_window_v1.parquet", hash: sha256("not read in this test") } },
      },
    };
    return { request, cacheRoot };
  }

  async function run(request: StageRequest): Promise<WorkerMessage[]> {
    const messages: WorkerMessage[] = [];
    await executeStage(request, (m) => messages.push(m), new AbortController().signal);
    return messages;
  }

  it("fails load with 'input changed while it was read' and stores nothing", async () => {
    const { request, cacheRoot } = loadRequest('{"feature_names": ["b"]}', '{"feature_names": ["a"]}');
    const messages = await run(request);
    const final = messages.at(-1)!;
    expect(final.type).toBe("error");
    if (final.type !== "error") return;
    expect(final.error.code).toBe("E_INPUT_CHANGED");
    expect(final.error.exitCode).toBe(1);
    expect(final.error.message).toMatch(/feature_schema_v1\.json: input changed while it was read .*nothing was stored, run again/);
    expect(existsSync(join(cacheRoot, "objects")) ? readdirSync(join(cacheRoot, "objects")) : []).toEqual([]);
  });

  it("reads on when the bytes are the ones hashed (the error then is the parquet's, not a changed input)", async () => {
    const { request } = loadRequest('{"feature_names": ["a"]}', '{"feature_names": ["a"]}');
    const final = (await run(request)).at(-1)!;
    expect(final.type === "error" && final.error.code).toBe("E_INPUT");
  });
});
