import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../../src/core/paths.ts";

/**
 * Every module URL a fresh `node` resolves while it runs `script` (module customization hooks
 * append each one to a file), so a test can see what a stage worker really loads.
 */
function modulesLoadedBy(script: string, expectExit = 0): string[] {
  const dir = mkdtempSync(join(tmpdir(), "worker-imports-"));
  const log = join(dir, "resolved.txt");
  writeFileSync(log, "");
  writeFileSync(
    join(dir, "hooks.mjs"),
    `import { appendFileSync } from "node:fs";
     export async function resolve(specifier, context, next) {
       const result = await next(specifier, context);
       appendFileSync(${JSON.stringify(log)}, result.url + "\\n");
       return result;
     }`,
  );
  writeFileSync(
    join(dir, "register.mjs"),
    `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});`,
  );
  writeFileSync(join(dir, "main.mjs"), script);
  const run = spawnSync(process.execPath, ["--import", pathToFileURL(join(dir, "register.mjs")).href, join(dir, "main.mjs")], {
    encoding: "utf8",
  });
  expect(run.status, run.stderr).toBe(expectExit);
  return readFileSync(log, "utf8").split("\n").filter(Boolean);
}

const compiled = (path: string) => JSON.stringify(pathToFileURL(join(packageRoot(), "dist", path)).href);

describe("what the CLI and a stage worker load", () => {
  it("listing the built-in stages (every CLI call does) loads none of their numeric or I/O dependencies", () => {
    const loaded = modulesLoadedBy(`
      const { loadRegistry } = await import(${compiled("src/engine/registry.js")});
      if ((await loadRegistry()).length < 8) throw new Error("built-in stages missing");
    `);
    expect(loaded.filter((url) => url.includes("/dist/stages/")).length).toBeGreaterThanOrEqual(8);
    expect(loaded.some((url) => url.includes("/node_modules/zod/"))).toBe(true); // the log sees packages
    expect(
      loaded.filter((url) => /node_modules\/(ml-matrix|apache-arrow|parquet-wasm|umap-js|undici)\/|\/dist\/src\/knn\//.test(url)),
    ).toEqual([]);
  });

  it("its own stage and the cache codec, not every built-in stage (each stage worker would boot ~50 ms slower)", () => {
    const loaded = modulesLoadedBy(`
      const { loadStageDef } = await import(${compiled("src/engine/registry.js")});
      await import(${compiled("src/engine/execute-stage.js")});
      const def = await loadStageDef("cluster", [], ".");
      if (def?.name !== "cluster") throw new Error("cluster stage not found");
    `);
    expect(loaded.some((url) => url.endsWith("/dist/stages/cluster.js"))).toBe(true);
    expect(loaded.some((url) => url.includes("apache-arrow"))).toBe(true); // the codec: proves the log sees packages
    expect(loaded.filter((url) => url.includes("/dist/stages/"))).toEqual([expect.stringMatching(/\/dist\/stages\/cluster\.js$/)]);
    expect(loaded.filter((url) => /umap-js|parquet-wasm|undici/.test(url))).toEqual([]);
  });

  it("the run command starts its first stage worker before it loads the engine, so the worker boots meanwhile", () => {
    const empty = mkdtempSync(join(tmpdir(), "worker-imports-project-")); // no pipeline.yaml: exit 2 once the engine is loaded
    const loaded = modulesLoadedBy(
      `process.argv.push("-C", ${JSON.stringify(empty)}, "run"); await import(${compiled("src/cli/bin.js")});`,
      2,
    );
    const workers = loaded.findIndex((url) => url.endsWith("/dist/src/engine/run-worker.js"));
    const engine = loaded.findIndex((url) => url.endsWith("/dist/src/engine/run.js"));
    expect(workers).toBeGreaterThanOrEqual(0);
    expect(engine).toBeGreaterThan(workers);
  });
});
