import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { packageRoot } from "../../src/core/paths.ts";
import { BIN, type CliResult } from "../helpers/cli.ts";
import { validate } from "../helpers/json-schema.ts";

// Outside the repository on purpose: the search for pipeline.yaml goes up to the root, and the
// repository's own pipeline.yaml must not be found.
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
function emptyFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "pipeline-init-"));
  made.push(dir);
  return dir;
}

/** The built CLI started in `cwd` (no -C unless the args give one), as a user types it. */
function pipeline(cwd: string, args: readonly string[]): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

const SHIPPED = readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8");

describe("pipeline init", () => {
  it("writes the commented shipped pipeline.yaml with a schema line, the schema it names, and .gitignore lines", async () => {
    const dir = emptyFolder();
    const init = await pipeline(dir, ["init"]);
    expect(init.code, init.stderr).toBe(0);
    const yaml = readFileSync(join(dir, "pipeline.yaml"), "utf8");
    expect(yaml).toBe(`# yaml-language-server: $schema=pipeline.schema.json\n${SHIPPED}`);
    const schema = JSON.parse(readFileSync(join(dir, "pipeline.schema.json"), "utf8"));
    const printed = await pipeline(dir, ["schema"]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(schema);
    expect(validate(schema, parse(yaml))).toEqual([]);
    expect(readFileSync(join(dir, ".gitignore"), "utf8").split("\n")).toEqual(
      expect.arrayContaining(["/cache/", "/data/processed/knn_v1.parquet", "/data/processed/metrics_v1.json"]),
    );
    const status = await pipeline(dir, ["dag"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("write-fit");
  });

  it("refuses to overwrite a project, naming the file, and changes nothing", async () => {
    const dir = emptyFolder();
    writeFileSync(join(dir, "pipeline.yaml"), "version: 1\nstages: {}\n");
    const again = await pipeline(dir, ["init"]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain(`${join(dir, "pipeline.yaml")} already exists`);
    expect(readFileSync(join(dir, "pipeline.yaml"), "utf8")).toBe("version: 1\nstages: {}\n");
    expect(existsSync(join(dir, "pipeline.schema.json"))).toBe(false);
    expect(existsSync(join(dir, ".gitignore"))).toBe(false);

    const other = emptyFolder();
    writeFileSync(join(other, "pipeline.schema.json"), "{}");
    const refused = await pipeline(other, ["init"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("pipeline.schema.json already exists");
    expect(existsSync(join(other, "pipeline.yaml"))).toBe(false);
  });

  it("adds only the .gitignore lines that are missing, keeping the rest", async () => {
    const dir = emptyFolder();
    writeFileSync(join(dir, ".gitignore"), "node_modules/\ncache/");
    expect((await pipeline(dir, ["init"])).code).toBe(0);
    const lines = readFileSync(join(dir, ".gitignore"), "utf8").split("\n");
    expect(lines.slice(0, 2)).toEqual(["node_modules/", "cache/"]);
    expect(lines.filter((l) => l.includes("cache/"))).toEqual(["cache/"]);
    expect(lines).toContain("/data/processed/knn_v1.parquet");
  });

  it("works in a folder given with -C, creating it", async () => {
    const base = emptyFolder();
    const init = await pipeline(base, ["-C", "new/project", "init"]);
    expect(init.code, init.stderr).toBe(0);
    expect(existsSync(join(base, "new/project/pipeline.yaml"))).toBe(true);
  });

  it("demo flags without --demo are a usage error", async () => {
    const result = await pipeline(emptyFolder(), ["init", "--rows", "1000"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--rows is for the demo data");
  });
});

describe("finding the project", () => {
  it("searches upward from the working folder, as git does, and from -C DIR", async () => {
    const dir = emptyFolder();
    expect((await pipeline(dir, ["init"])).code).toBe(0);
    const deep = join(dir, "notebooks", "scratch");
    mkdirSync(deep, { recursive: true });
    const dag = await pipeline(deep, ["dag", "--format", "mermaid"]);
    expect(dag.code, dag.stderr).toBe(0);
    expect(dag.stdout).toContain("standardize");
    const viaC = await pipeline(tmpdir(), ["-C", deep, "status", "--json"]);
    expect(viaC.code, viaC.stderr).toBe(0);
    // demo-data writes into the project it found, not the working folder
    const demo = await pipeline(deep, ["demo-data", "--rows", "1000", "--features", "8"]);
    expect(demo.code, demo.stderr).toBe(0);
    expect(existsSync(join(dir, "data/demo/features_window_v1.parquet"))).toBe(true);
    expect(existsSync(join(deep, "data"))).toBe(false);
  });

  it("names where it searched when there is no project", async () => {
    const dir = emptyFolder();
    const deep = join(dir, "a", "b");
    mkdirSync(deep, { recursive: true });
    const result = await pipeline(deep, ["status"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no pipeline.yaml in ${deep} or any folder above it`);
    expect(result.stderr).toContain("pipeline init");
  });

  it("every command that reads a project says the same, exp and the diffs included, rather than finding no runs", async () => {
    const dir = emptyFolder();
    const commands = [
      ["exp", "show"],
      ["exp", "show", "--json"],
      ["exp", "diff", "a"],
      ["params", "diff"],
      ["metrics", "diff"],
      ["run"],
      ["explain", "load"],
      ["dag"],
      ["gc"],
      ["cache", "status"],
      ["cache", "verify"],
    ];
    for (const args of commands) {
      const result = await pipeline(dir, args);
      const what = `pipeline ${args.join(" ")}: ${result.stdout}${result.stderr}`;
      expect(result.code, what).toBe(2);
      expect(result.stderr, what).toBe(
        `error: no pipeline.yaml in ${dir} or any folder above it\nhint: run \`pipeline init\` to start a project there, or pass -C DIR\n`,
      );
      expect(result.stdout, what).toBe("");
    }
    expect(readdirSync(dir)).toEqual([]); // nothing was made there
  });

  it("init inside a project starts a nested one, says so, and commands there use it", async () => {
    const outer = emptyFolder();
    expect((await pipeline(outer, ["init"])).code).toBe(0);
    const inner = join(outer, "experiments", "small");
    mkdirSync(inner, { recursive: true });
    const init = await pipeline(inner, ["init"]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain(`inside the project in ${outer}`);
    writeFileSync(join(inner, "pipeline.yaml"), "version: 1\nstages:\n  load:\n    inputs: { windows: w.parquet, schema: s.json }\n");
    const dag = await pipeline(inner, ["dag"]);
    expect(dag.code, dag.stderr).toBe(0);
    expect(dag.stdout).not.toContain("standardize");
  });
});

describe("pipeline schema", () => {
  it("prints the schema of a project whose pipeline.yaml is invalid, with its plugin stages", async () => {
    const dir = emptyFolder();
    writeFileSync(
      join(dir, "plot.mjs"),
      'import { defineStage, slot, z } from "pipeline";\n' +
        'export default defineStage({ name: "plot", params: z.object({ dpi: z.number().default(96).describe("dots per inch") }),\n' +
        '  inputs: { fit: slot.file("the fit") }, outputs: { png: slot.file("the plot") }, run: () => ({ png: new Uint8Array() }) });\n',
    );
    writeFileSync(join(dir, "pipeline.yaml"), "version: 1\nplugins: [plot.mjs]\nstagez: {}\n");
    const result = await pipeline(dir, ["schema"]);
    expect(result.code, result.stderr).toBe(0);
    const schema = JSON.parse(result.stdout);
    expect(schema.definitions["stage-plot"].properties.params.properties.dpi).toMatchObject({ default: 96, description: "dots per inch" });
    expect(
      validate(schema, { version: 1, plugins: ["plot.mjs"], stages: { plot: { inputs: { fit: "f.parquet" }, params: { dpi: 300 } } } }),
    ).toEqual([]);
    expect(validate(schema, { version: 1, stages: { plot: { inputs: { fit: "f.parquet" }, params: { dpii: 300 } } } }).join("\n")).toMatch(
      /dpii/,
    );
  });
});
