import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../../src/core/paths.ts";
import { codeFiles, codeFingerprint } from "../../../src/engine/fingerprint.ts";

describe("code fingerprint", () => {
  const root = packageRoot();
  const paths = (module: string) => codeFiles(join(root, module)).map((line) => line.split(" ")[0]);

  it("follows a compiled stage into its worker threads and the wasm kernel", () => {
    const files = paths("dist/stages/classify.js");
    expect(files).toContain("dist/src/knn/knn-worker.js");
    expect(files).toContain("dist/src/knn/block-search.js");
    expect(files).toContain("dist/wasm/knn-kernel.wasm");
    expect(codeFiles(join(root, "dist/stages/classify.js")).some((l) => l.endsWith(" missing"))).toBe(false);
  });

  it("follows the cluster stage into its k-means wasm kernel, compiled or from sources", () => {
    for (const module of ["dist/stages/cluster.js", "stages/cluster.ts"]) {
      expect(paths(module)).toContain("dist/wasm/kmeans-kernel.wasm");
      expect(codeFiles(join(root, module)).filter((l) => l.endsWith(" missing"))).toEqual([]);
    }
  });

  it("follows the standardize stage into its helper worker, compiled or from sources", () => {
    for (const [module, dir, ext] of [
      ["dist/stages/standardize.js", "dist/src", "js"],
      ["stages/standardize.ts", "src", "ts"],
    ] as const) {
      const files = paths(module);
      expect(files).toContain(`${dir}/numeric/standardize-worker.${ext}`);
      expect(files).toContain(`${dir}/numeric/standardize-tasks.${ext}`);
      expect(files).toContain(`${dir}/numeric/median.${ext}`);
      expect(codeFiles(join(root, module)).filter((l) => l.endsWith(" missing"))).toEqual([]);
    }
  });

  it("follows the dynamic imports of the TypeScript sources too", () => {
    const files = paths("stages/project.ts");
    expect(files).toContain("src/numeric/lda.ts");
    expect(files).toContain("src/umap/index.ts");
    expect(codeFiles(join(root, "stages/project.ts")).filter((l) => l.endsWith(" missing"))).toEqual([]);
  });

  it("covers a plugin's project files reached through every form of relative import, transitively, not packages", () => {
    const dir = mkdtempSync(join(tmpdir(), "fingerprint-"));
    try {
      const files: Record<string, string> = {
        "plugin.mjs":
          'import { z } from "pipeline";\nimport { a } from "./lib/a.mjs";\nimport "./lib/side.mjs";\n' +
          'export * from "./lib/re.mjs";\nconst later = () => import("./lib/lazy.mjs");\n',
        "lib/a.mjs": 'import { deep } from "../deep/b.mjs";\nexport const a = deep;\n',
        "deep/b.mjs": "export const deep = 1;\n",
        "lib/side.mjs": 'const { c } = require("./c.cjs");\n',
        "lib/c.cjs": "module.exports = { c: 1 };\n",
        "lib/re.mjs": "export const r = 1;\n",
        "lib/lazy.mjs": "export const l = 1;\n",
        "unrelated.mjs": "export const u = 1;\n",
      };
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const listed = codeFiles(join(dir, "plugin.mjs"), dir).map((line) => line.split(" ")[0]);
      expect(listed).toEqual(["deep/b.mjs", "lib/a.mjs", "lib/c.cjs", "lib/lazy.mjs", "lib/re.mjs", "lib/side.mjs", "plugin.mjs"]);
      const before = codeFingerprint(join(dir, "plugin.mjs"), dir);
      writeFileSync(join(dir, "unrelated.mjs"), "export const u = 2;\n");
      expect(codeFingerprint(join(dir, "plugin.mjs"), dir)).toBe(before);
      writeFileSync(join(dir, "deep/b.mjs"), "export const deep = 2;\n");
      expect(codeFingerprint(join(dir, "plugin.mjs"), dir)).not.toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names an import it cannot find instead of ignoring it", () => {
    const listing = codeFiles(join(root, "test/fixtures/engine/missing-import.mjs"));
    expect(listing).toContain("test/fixtures/engine/does-not-exist.mjs missing");
  });
});

describe("built-in stage modules", () => {
  it("every registered stage points at a file that exists, so its code is really hashed", async () => {
    const { existsSync } = await import("node:fs");
    const { loadRegistry } = await import("../../../src/engine/registry.ts");
    const registry = await loadRegistry();
    expect(registry.length).toBeGreaterThanOrEqual(8);
    for (const { def, module } of registry) expect(existsSync(module), `${def.name}: ${module}`).toBe(true);
  });

  it("so does the compiled registry the CLI uses", async () => {
    const { existsSync } = await import("node:fs");
    const compiled = join(packageRoot(), "dist/src/engine/registry.js");
    const { loadRegistry } = (await import(compiled)) as typeof import("../../../src/engine/registry.ts");
    for (const { def, module } of await loadRegistry()) {
      expect(module.endsWith(`dist/stages/${def.name}.js`), module).toBe(true);
      expect(existsSync(module)).toBe(true);
    }
  });
});
