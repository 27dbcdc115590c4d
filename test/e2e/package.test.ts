/**
 * The package as a user gets it: `npm pack`, the tarball installed globally into a temp prefix
 * (one install shared by every case), then the installed `pipeline` run in folders outside
 * this repository, where no node_modules holds pipeline or zod.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.ts";
import type { CliResult } from "../helpers/cli.ts";

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], cwd: string): Promise<Ran> {
  const env = { ...process.env, CI: "1", PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` };
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** npm flags for installing the tarball: the npm cache first, the registry only for what it lacks. */
const INSTALL_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund"];

let work: string;
let tarball: string;
let packed: string[];
let installLog: string;
let bin: string;

/** The installed `pipeline`, run in `cwd`, with its last --json line parsed. */
async function pipeline(cwd: string, args: readonly string[]): Promise<CliResult> {
  const result = await run(bin, args, cwd);
  const last = result.stdout.trim().split("\n").at(-1) ?? "";
  return { ...result, ...(last.startsWith("{") ? { json: JSON.parse(last) } : {}) };
}

function folder(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const statuses = (result: CliResult, status: string) => (result.json?.stages ?? []).filter((s) => s.status === status).map((s) => s.name);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "pipeline-package-"));
  const pack = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], packageRoot());
  expect(pack.code, pack.stderr).toBe(0);
  const [manifest] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, manifest!.filename);
  packed = manifest!.files.map((f) => f.path);
  const prefix = join(work, "prefix");
  const install = await run("npm", ["install", "-g", "--prefix", prefix, ...INSTALL_FLAGS, tarball], work);
  installLog = install.stdout + install.stderr;
  expect(install.code, installLog).toBe(0);
  bin = join(prefix, "bin", "pipeline");
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  it("holds what a user runs: the compiled CLI and stages, the wasm, the API's types, README and pipeline.yaml", () => {
    for (const file of [
      "package.json",
      "README.md",
      "pipeline.yaml",
      "dist/src/cli/bin.js",
      "dist/src/api.js",
      "dist/src/api.d.ts",
      "dist/src/core/stage.d.ts",
      "dist/stages/classify.js",
      "dist/wasm/knn-kernel.wasm",
      "dist/wasm/kmeans-kernel.wasm",
      "dist/wasm/scatter-kernel.wasm",
      "src/report/page/report.js",
    ]) {
      expect(packed, file).toContain(file);
    }
  });

  it("leaves out tests, benches, scripts and the TypeScript sources", () => {
    const own = packed.filter((f) => !f.startsWith("node_modules/"));
    expect(own.filter((f) => /^(test|bench|scripts|stages|dist\/test|dist\/bench)\//.test(f))).toEqual([]);
    expect(own.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(own.filter((f) => f.endsWith(".wat") || f.startsWith("tsconfig") || f.startsWith(".ci"))).toEqual([]);
  });

  it("has no install-time scripts of its own; npm lists only msgpackr-extract's optional one", async () => {
    const manifest = await run("tar", ["-xzOf", tarball, "package/package.json"], work);
    const scripts = (JSON.parse(manifest.stdout) as { scripts: Record<string, string> }).scripts;
    expect(Object.keys(scripts).filter((s) => ["preinstall", "install", "postinstall", "prepare"].includes(s))).toEqual([]);
    // pipeline's own scripts are never listed; msgpackr-extract (bullmq -> msgpackr's optional native
    // add-on) still is, which npm lets only the installing user allow (see the README)
    const listed = installLog.split("\n").filter((line) => /install-scripts {3}\S/.test(line));
    expect(
      listed.map((line) =>
        line
          .trim()
          .split(/\s+/)[3]
          ?.replace(/@[^@]*$/, ""),
      ),
    ).toEqual(["msgpackr-extract"]);
  });

  it("installs a `pipeline` command that runs", async () => {
    const version = await pipeline(work, ["--version"]);
    expect(version.code, version.stderr).toBe(0);
    const expected = (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
    expect(version.stdout.trim()).toBe(expected);
  });
});

describe("a new project from the installed package", () => {
  it("init --demo in an empty folder, then run computes everything, and a second run reuses it all", async () => {
    const dir = folder("demo-project");
    const init = await pipeline(dir, ["init", "--demo", "--rows", "3000", "--features", "40"]);
    expect(init.code, init.stderr).toBe(0);
    expect(readFileSync(join(dir, "pipeline.yaml"), "utf8").split("\n")[0]).toBe("# yaml-language-server: $schema=pipeline.schema.json");
    const cold = await pipeline(dir, ["run", "--json"]);
    expect(cold.code, cold.stderr + cold.stdout).toBe(0);
    expect(statuses(cold, "ran").sort()).toEqual(["classify", "cluster", "evaluate", "load", "project", "standardize", "write-fit"]);
    expect(readFileSync(join(dir, "data/processed/knn_v1.parquet")).subarray(0, 4).toString()).toBe("PAR1");
    const warm = await pipeline(dir, ["run", "--json"]);
    expect(warm.code, warm.stderr).toBe(0);
    expect(statuses(warm, "ran")).toEqual([]);
    expect(statuses(warm, "cached")).toHaveLength(7);
  });
});

const PLUGIN = `import { defineStage, InputError, readInputFile, slot, z } from "pipeline";
import { scaled } from "./lib/scale.mjs";

export default defineStage({
  name: "total",
  summary: "sum the numbers of a text file, scaled",
  params: z.object({ offset: z.number().default(0).describe("added to the sum") }),
  inputs: { numbers: slot.path("numbers, one per line") },
  outputs: { sum: slot.json("the scaled sum", { fields: ["sum"], metrics: (v) => ({ sum: v.sum }) }) },
  async run({ params, inputs }) {
    const text = new TextDecoder().decode(await readInputFile(inputs.numbers));
    const values = text.split("\\n").filter((line) => line.trim() !== "").map(Number);
    const bad = \`\${inputs.numbers.display}: a line is not a number\`;
    if (values.some(Number.isNaN)) throw new InputError(bad, "write one number per line");
    return { sum: { sum: scaled(values.reduce((a, b) => a + b, 0)) + params.offset } };
  },
});
`;
const YAML =
  "version: 1\nplugins: [stages/total.mjs]\nstages:\n  total:\n    inputs: { numbers: numbers.txt }\n    outputs: { sum: out/sum.json }\n";

describe('a plugin stage that imports from "pipeline"', () => {
  let dir: string;
  beforeAll(() => {
    dir = folder("plugin-project");
    mkdirSync(join(dir, "stages/lib"), { recursive: true });
    writeFileSync(join(dir, "stages/total.mjs"), PLUGIN);
    writeFileSync(join(dir, "stages/lib/scale.mjs"), "export const scaled = (x) => x * 2;\n");
    writeFileSync(join(dir, "numbers.txt"), "1\n2\n3\n");
    writeFileSync(join(dir, "pipeline.yaml"), YAML);
  });
  const sum = () => (JSON.parse(readFileSync(join(dir, "out/sum.json"), "utf8")) as { sum: number }).sum;

  it("runs, is cached, and reruns when a helper module it imports changes", async () => {
    const first = await pipeline(dir, ["run", "--json"]);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(statuses(first, "ran")).toEqual(["total"]);
    expect(sum()).toBe(12);

    const again = await pipeline(dir, ["run", "--json"]);
    expect(statuses(again, "cached")).toEqual(["total"]);

    writeFileSync(join(dir, "stages/lib/scale.mjs"), "export const scaled = (x) => x * 3;\n");
    const edited = await pipeline(dir, ["run", "--json"]);
    expect(edited.code, edited.stderr).toBe(0);
    expect(statuses(edited, "ran")).toEqual(["total"]);
    expect((edited.json!.stages[0] as unknown as { reasons: { code: string }[] }).reasons.map((r) => r.code)).toEqual(["code"]);
    expect(sum()).toBe(18);
  });

  it("takes --set like a built-in stage and refuses an unknown parameter", async () => {
    const set = await pipeline(dir, ["run", "--json", "--set", "total.offset=1", "--write-outputs"]);
    expect(set.code, set.stderr).toBe(0);
    expect(sum()).toBe(19);
    const typo = await pipeline(dir, ["run", "--set", "total.ofset=1"]);
    expect(typo.code).toBe(3);
    expect(typo.stderr).toContain("ofset");
  });

  it("fails as a stage with the plugin's own InputError message and hint", async () => {
    writeFileSync(join(dir, "numbers.txt"), "1\nx\n");
    const bad = await pipeline(dir, ["run"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toContain("numbers.txt: a line is not a number");
    expect(bad.stdout + bad.stderr).toContain("write one number per line");
    writeFileSync(join(dir, "numbers.txt"), "1\n2\n3\n");
  });
});

/**
 * A command stage as a user writes one: a shell command over a project file, with a parameter.
 * It also appends to a log outside the project, which shows whether the command itself ran.
 */
function commandYaml(ranLog: string, suffix: string, cmd?: string | string[]): string {
  const shout = `tr a-z A-Z < \${deps.words} > \${outs.loud}; echo \${params.suffix} >> \${outs.loud}; echo ran >> ${ranLog}`;
  return [
    "version: 1",
    "stages:",
    "  shout:",
    "    uses: cmd",
    `    cmd: ${JSON.stringify(cmd ?? shout)}`,
    "    deps: { words: words.txt }",
    "    outs: { loud: out/loud.txt }",
    `    params: { suffix: ${suffix} }`,
    "",
  ].join("\n");
}

/** What a failed run left behind: the project's out folder and the command's scratch folders. */
function leftovers(dir: string): { out: string[]; scratch: string[] } {
  const list = (p: string) => (existsSync(p) ? readdirSync(p) : []);
  return { out: list(join(dir, "out")), scratch: list(join(dir, "cache", "tmp")).filter((n) => n.startsWith("cmd-")) };
}

describe("a command stage (uses: cmd) run by the installed pipeline", () => {
  let dir: string;
  let ranLog: string;
  beforeAll(() => {
    dir = folder("command-project");
    ranLog = join(work, "command-ran.log");
    writeFileSync(join(dir, "words.txt"), "apple\nbanana\n");
    writeFileSync(join(dir, "pipeline.yaml"), commandYaml(ranLog, "one"));
  });
  const loud = () => readFileSync(join(dir, "out/loud.txt"), "utf8");
  const timesRan = () => (existsSync(ranLog) ? readFileSync(ranLog, "utf8").split("\n").filter(Boolean).length : 0);

  it("runs, is cached (the command does not run again), and reruns when its dep file or a param changes", async () => {
    const first = await pipeline(dir, ["run", "--json"]);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(statuses(first, "ran")).toEqual(["shout"]);
    expect(loud()).toBe("APPLE\nBANANA\none\n");
    expect(timesRan()).toBe(1);

    const again = await pipeline(dir, ["run", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(statuses(again, "cached")).toEqual(["shout"]);
    expect(timesRan()).toBe(1);

    writeFileSync(join(dir, "words.txt"), "apple\ncherry\n");
    const dep = await pipeline(dir, ["run", "--json"]);
    expect(dep.code, dep.stderr).toBe(0);
    expect(statuses(dep, "ran")).toEqual(["shout"]);
    expect(dep.json!.stages[0]!.reason).toMatch(/^input file words: sha /);
    expect(loud()).toBe("APPLE\nCHERRY\none\n");

    writeFileSync(join(dir, "pipeline.yaml"), commandYaml(ranLog, "two"));
    const param = await pipeline(dir, ["run", "--json"]);
    expect(param.code, param.stderr).toBe(0);
    expect(statuses(param, "ran")).toEqual(["shout"]);
    expect(param.json!.stages[0]!.reason).toBe('params.suffix: "one" -> "two"');
    expect(loud()).toBe("APPLE\nCHERRY\ntwo\n");
    expect(timesRan()).toBe(3);
  });

  it("a command that fails after writing half its out leaves the project's out as the last good run wrote it", async () => {
    const before = loud();
    writeFileSync(join(dir, "words.txt"), "apple\ndate\n");
    writeFileSync(join(dir, "pipeline.yaml"), commandYaml(ranLog, "two", "echo half > ${outs.loud}; exit 9"));
    const failed = await pipeline(dir, ["run"]);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stdout + failed.stderr).toContain("stage shout failed: command exited with code 9");
    expect(loud()).toBe(before);
    expect(leftovers(dir).scratch).toEqual([]);
  });

  const failures: [string, string | string[], RegExp][] = [
    [
      "a non-zero exit",
      "echo half > ${outs.loud}; echo no more disk >&2; exit 3",
      /stage shout failed: command exited with code 3; the last line of its stderr:\n\s+no more disk/,
    ],
    [
      "a declared out it does not write",
      "echo done",
      /stage shout failed: the command exited 0 but did not write outs\.loud \(out\/loud\.txt\)/,
    ],
    [
      "a command not found by the shell",
      "echo half > ${outs.loud}; no-such-program-here ${deps.words}",
      /stage shout failed: command exited with code 127: the shell could not find a program/,
    ],
    [
      "a program not found (argument list)",
      ["no-such-program-here", "${deps.words}"],
      /stage shout failed: command not found: no-such-program-here \(ENOENT\)/,
    ],
  ];
  it.each(failures)("%s: exit 1, a message naming the stage and why, nothing left in the project", async (_name, cmd, expected) => {
    const project = folder(`command-fault-${_name.replace(/\W+/g, "-")}`);
    writeFileSync(join(project, "words.txt"), "apple\n");
    writeFileSync(join(project, "pipeline.yaml"), commandYaml(join(work, "unused.log"), "x", cmd));
    const result = await pipeline(project, ["run"]);
    const said = result.stdout + result.stderr;
    expect(result.code, said).toBe(1);
    expect(said).toMatch(expected);
    expect(said).not.toContain("bug in pipeline");
    expect(leftovers(project)).toEqual({ out: [], scratch: [] });
  });
});

/** Plugin faults: [case, files (the plugin is plug.mjs unless `plugins` says otherwise), what stderr must say]. */
const FAULTS: [string, Record<string, string>, RegExp][] = [
  [
    "a missing file",
    { "pipeline.yaml": "version: 1\nplugins: [stages/nothere.mjs]\nstages:\n  s: { uses: s }\n" },
    /stages\/nothere\.mjs does not exist/,
  ],
  [
    "a syntax error",
    { "plug.mjs": 'import { defineStage } from "pipeline";\nexport default defineStage({\n  name: "s",\n  run() { return 1 +; },\n});\n' },
    /syntax error at plug\.mjs:4/,
  ],
  [
    "a syntax error in a helper it imports",
    { "plug.mjs": 'export { s as default } from "./lib/h.mjs";\n', "lib/h.mjs": "export const s = {\n  a: 1\n  b: 2 };\n" },
    /syntax error at lib\/h\.mjs:3/,
  ],
  [
    "no stages exported",
    { "plug.mjs": 'import { defineStage } from "pipeline";\nexport const s = defineStage({ name: "s", run: () => ({}) });\n' },
    /plug\.mjs has 1 problem:\n {2}- exports no stages \(`s` looks like one\)/,
  ],
  [
    "params that are not a zod schema",
    { "plug.mjs": 'export default { name: "s", params: {}, run: () => ({}) };\n' },
    /plug\.mjs[\s\S]*stage "s": params is not a zod schema/,
  ],
  [
    "a name taken by a built-in stage",
    { "plug.mjs": 'import { defineStage } from "pipeline";\nexport default defineStage({ name: "cluster", run: () => ({}) });\n' },
    /plug\.mjs[\s\S]*defines stage "cluster", a built-in stage/,
  ],
  [
    "the same name in two plugins",
    {
      "pipeline.yaml": "version: 1\nplugins: [a.mjs, b.mjs]\nstages:\n  s: { uses: s }\n",
      "a.mjs": 'export default { name: "s", run: () => ({}) };\n',
      "b.mjs": 'export default { name: "s", run: () => ({}) };\n',
    },
    /plugin b\.mjs[\s\S]*defines stage "s", also defined by a\.mjs/,
  ],
  [
    "an invalid stage name",
    { "plug.mjs": 'export default { name: "My Stage", run: () => ({}) };\n' },
    /plug\.mjs[\s\S]*stage "My Stage": the name must be lower-case/,
  ],
  [
    "a throw at import",
    { "plug.mjs": 'const ready = false;\nif (!ready) throw new Error("model weights not found");\nexport default {};\n' },
    /plug\.mjs[\s\S]*threw while being imported \(at plug\.mjs:2:\d+\): model weights not found/,
  ],
  [
    "an import of zod, which the project does not install",
    { "plug.mjs": 'import { z } from "zod";\nexport default { name: "s", params: z.object({}), run: () => ({}) };\n' },
    /plug\.mjs imports package "zod"[\s\S]*hint: import z from pipeline/,
  ],
  [
    "a deep import into pipeline",
    { "plug.mjs": 'import { slot } from "pipeline/dist/src/core/stage.js";\nexport default {};\n' },
    /plug\.mjs imports package "pipeline"[\s\S]*deep imports/,
  ],
  [
    "a relative import that does not exist",
    { "plug.mjs": 'import { h } from "./helpers.mjs";\nexport default h;\n' },
    /plug\.mjs imports helpers\.mjs, which does not exist/,
  ],
];

describe("a faulty plugin is the user's error (exit 3) naming the file, never a bug in pipeline", () => {
  it.each(FAULTS)("%s", async (name, files, expected) => {
    const dir = folder(`fault-${name.replace(/\W+/g, "-")}`);
    const all = { "pipeline.yaml": "version: 1\nplugins: [plug.mjs]\nstages:\n  s: { uses: s }\n", ...files };
    for (const [path, text] of Object.entries(all)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const result = await pipeline(dir, ["run"]);
    expect(result.stderr).not.toContain("bug in pipeline");
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(expected);
    expect(result.stderr).toMatch(/\nhint: /);
  });

  it("a TypeScript plugin: Node 20 cannot import it without a build step, and says so", async () => {
    const dir = folder("fault-typescript");
    writeFileSync(
      join(dir, "plug.ts"),
      'import { defineStage } from "pipeline";\nexport default defineStage({ name: "s", run: () => ({}) });\n',
    );
    writeFileSync(join(dir, "pipeline.yaml"), "version: 1\nplugins: [plug.ts]\nstages:\n  s: { uses: s }\n");
    const result = await pipeline(dir, ["run", "--json"]);
    if ((process.features as { typescript?: string | false }).typescript) {
      expect(result.code, result.stderr).toBe(0); // Node >= 22.18 strips the types itself
    } else {
      expect(result.code).toBe(3);
      expect(result.stderr).toContain("plugin plug.ts has 1 problem:\n  - is TypeScript, which Node");
      expect(result.stderr).toContain("compile it to JavaScript");
    }
  });
});

describe("the API's types, for a project that installs pipeline locally", () => {
  it("type-checks a plugin written in TypeScript, inferring params and inputs from the stage definition", async () => {
    const dir = folder("types-project");
    writeFileSync(join(dir, "package.json"), '{ "name": "my-stages", "private": true, "type": "module" }\n');
    const install = await run("npm", ["install", ...INSTALL_FLAGS, tarball], dir);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    const good = `import { defineStage, slot, z, type Matrix } from "pipeline";
export default defineStage({
  name: "norms",
  params: z.object({ power: z.number().default(2) }),
  inputs: { features: slot.matrix("rows to measure") },
  outputs: { norms: slot.table("one norm per row") },
  run({ params, inputs }) {
    const m: Matrix = inputs.features;
    const norms = new Float64Array(m.rows);
    for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) norms[r]! += Math.abs(m.data[r * m.cols + c]!) ** params.power;
    return { norms: { norm: norms } };
  },
});
`;
    writeFileSync(join(dir, "good.ts"), good);
    writeFileSync(join(dir, "bad.ts"), good.replace("** params.power", "** params.powr"));
    const tsc = join(packageRoot(), "node_modules", "typescript", "bin", "tsc");
    const checked = await run(
      process.execPath,
      [tsc, "--strict", "--module", "nodenext", "--noEmit", "--listFiles", "good.ts", "bad.ts"],
      dir,
    );
    expect(checked.stdout).toContain("node_modules/pipeline/dist/src/core/stage.d.ts");
    const errors = checked.stdout.split("\n").filter((line) => line.includes("error TS"));
    expect(errors).toEqual([expect.stringMatching(/^bad\.ts\(\d+,\d+\): error TS2551: Property 'powr' does not exist/)]);
    expect(checked.code).not.toBe(0);
  });
});
