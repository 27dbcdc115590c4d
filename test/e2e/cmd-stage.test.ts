import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.ts";
import { finish, removeTestProjects, runCli, stagesWith, startCli, testProject } from "../helpers/cli.ts";
import { duckRows, duckTypes } from "../helpers/duckdb.ts";

afterAll(removeTestProjects);

/*
 *   words.txt ─> count (shell) ──n──> double (argv, python) ──> out/double.json
 */
const YAML = `version: 1
stages:
  count:
    uses: cmd
    cmd: "grep -c \${params.pattern} \${deps.words} > \${outs.n}; echo counted \${params.pattern}"
    deps: { words: words.txt }
    outs: { n: out/n.txt }
    params: { pattern: a }
  double:
    uses: cmd
    cmd:
      - /usr/bin/python3
      - -c
      - "import json,sys; n=int(open(sys.argv[1]).read()); json.dump({'double': 2*n}, open(sys.argv[2],'w'))"
      - \${deps.n}
      - \${outs.d}
    deps: { n: out/n.txt } # the path count writes: read as count.n, as DVC does
    outs: { d: { path: out/double.json, kind: json } }
`;

function project(yaml = YAML, words = "apple\nbanana\ncherry\n"): string {
  return testProject({ "pipeline.yaml": yaml, "words.txt": words });
}

/** Files under `dir/out` and cache/tmp's scratch folders, to prove nothing half-written is left. */
function leftovers(dir: string): { out: string[]; scratch: string[] } {
  const list = (p: string) => (existsSync(p) ? readdirSync(p) : []);
  return { out: list(join(dir, "out")), scratch: list(join(dir, "cache", "tmp")).filter((n) => n.startsWith("cmd-")) };
}

/** A command that records its pid (the shell execs sleep, so it is sleep's), writes half an out, then sleeps. */
function slowYaml(pidFile: string, seconds: number): string {
  const cmd = `echo $$ > ${pidFile}; echo half > \${outs.o}; exec sleep ${seconds}`;
  return `version: 1\nstages:\n  slow:\n    uses: cmd\n    cmd: "${cmd}"\n    outs: { o: out/o.txt }\n`;
}

describe("uses: cmd", () => {
  it("runs, writes its outs, caches, and reruns on a dep or --set change with early cutoff downstream", async () => {
    const dir = project();
    const cold = await runCli(dir, ["run", "--json"]);
    expect(cold.code, cold.stderr).toBe(0);
    expect(stagesWith(cold, "ran")).toEqual(["count", "double"]);
    expect(readFileSync(join(dir, "out/n.txt"), "utf8")).toBe("2\n");
    expect(JSON.parse(readFileSync(join(dir, "out/double.json"), "utf8"))).toEqual({ double: 4 });

    const warm = await runCli(dir, ["run", "--json"]);
    expect(stagesWith(warm, "cached")).toEqual(["count", "double"]);

    // a dep change that leaves count's out the same: count reruns, double stays cached
    writeFileSync(join(dir, "words.txt"), "apple\nbanana\nfig\n");
    const cutoff = await runCli(dir, ["run", "--json"]);
    expect(stagesWith(cutoff, "ran")).toEqual(["count"]);
    expect(stagesWith(cutoff, "cached")).toEqual(["double"]);
    expect(cutoff.json!.stages[0]!.reason).toMatch(/^input file words: sha /);

    // a dep change that changes it reruns both
    writeFileSync(join(dir, "words.txt"), "apple\nbanana\navocado\n");
    const both = await runCli(dir, ["run", "--json"]);
    expect(stagesWith(both, "ran")).toEqual(["count", "double"]);
    expect(JSON.parse(readFileSync(join(dir, "out/double.json"), "utf8"))).toEqual({ double: 6 });

    const set = await runCli(dir, ["run", "--json", "--write-outputs", "--set", "count.pattern=n"]);
    expect(set.code, set.stderr).toBe(0);
    expect(stagesWith(set, "ran")).toEqual(["count", "double"]);
    expect(set.json!.stages[0]!.reason).toBe('params.pattern: "a" -> "n"');
    expect(readFileSync(join(dir, "out/n.txt"), "utf8")).toBe("1\n");

    const explain = await runCli(dir, ["explain", "count"]);
    expect(explain.stdout).toContain("count (uses cmd, version 1)");
    expect(explain.stdout).toContain('params.pattern = "a"');
    expect(explain.stdout).toMatch(/command +\{"cmd":"grep -c/);

    // the run log keeps the command's output lines
    const runs = readdirSync(join(dir, "cache", "runs")).sort();
    const log = JSON.parse(readFileSync(join(dir, "cache", "runs", runs.at(-1)!), "utf8")) as {
      stages: { name: string; log?: string[] }[];
    };
    expect(log.stages.find((s) => s.name === "count")!.log).toEqual(["$ grep -c n words.txt > out/n.txt; echo counted n", "counted n"]);
    expect(leftovers(dir).scratch).toEqual([]);
  });

  it("a misspelt --set parameter is a config error naming it", async () => {
    const dir = project();
    const result = await runCli(dir, ["run", "--set", "count.patern=b"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('stages.count.params (from --set count.patern=b): Unrecognized key: "patern"; did you mean pattern?');
  });

  it("status and --dry-run show command stages like the others", async () => {
    const dir = project();
    const dry = await runCli(dir, ["run", "--dry-run", "--json"]);
    expect(dry.code).toBe(0);
    expect(stagesWith(dry, "would-run")).toEqual(["count"]);
    expect(existsSync(join(dir, "out"))).toBe(false);
    expect((await runCli(dir, ["run"])).code).toBe(0);
    const status = await runCli(dir, ["status", "--json"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('"count"');
    expect(status.stdout).not.toMatch(/stale/);
  });

  const failures: [string, string, RegExp][] = [
    [
      "a non-zero exit",
      `cmd: "echo half > \${outs.o}; echo it broke >&2; exit 3"`,
      /command exited with code 3; the last line of its stderr:\n\s+it broke/,
    ],
    ["a missing out", "cmd: [/bin/true]", /the command exited 0 but did not write outs.o \(out\/o.txt\)/],
    ["a program not found (argv)", "cmd: [no-such-program-here, x]", /command not found: no-such-program-here \(ENOENT\)/],
    [
      "a program not found (shell)",
      `cmd: "echo half > \${outs.o}; no-such-program-here"`,
      /command exited with code 127: the shell could not find a program/,
    ],
    ["a signal", `cmd: "echo half > \${outs.o}; kill -TERM $$"`, /command was killed by SIGTERM/],
  ];
  for (const [what, cmd, message] of failures) {
    it(`${what} fails the stage (exit 1) and leaves nothing in the project`, async () => {
      const dir = project(`version: 1\nstages:\n  broken:\n    uses: cmd\n    ${cmd}\n    outs: { o: out/o.txt }\n`);
      const result = await runCli(dir, ["run", "--json"]);
      expect(result.code).toBe(1);
      expect(stagesWith(result, "failed")).toEqual(["broken"]);
      expect(result.json!.stages[0]!.reason).toMatch(message);
      expect(leftovers(dir)).toEqual({ out: [], scratch: [] });
    });
  }

  it("validates the yaml: unknown keys, a missing cmd, outs outside the project (exit 3, naming the field)", async () => {
    const dir = project(`version: 1
stages:
  a:
    uses: cmd
    outs: { o: ../elsewhere.txt }
    timeout: 5
`);
    const first = await runCli(dir, ["run"]);
    expect(first.code).toBe(3);
    expect(first.stderr).toContain('stages.a (line 6): Unrecognized key: "timeout"');
    writeFileSync(
      join(dir, "pipeline.yaml"),
      "version: 1\nstages:\n  a:\n    uses: cmd\n    outs: { o: ../elsewhere.txt, p: { path: x.json, kind: table } }\n",
    );
    const second = await runCli(dir, ["run"]);
    expect(second.code).toBe(3);
    expect(second.stderr).toContain('stages.a.outs.p.kind (line 5): Invalid option: expected one of "file"|"json"');
    writeFileSync(
      join(dir, "pipeline.yaml"),
      "version: 1\nstages:\n  a:\n    uses: cmd\n    cmd: echo ${params.n} ${deps.x}\n    outs: { o: ../elsewhere.txt }\n",
    );
    const third = await runCli(dir, ["run"]);
    expect(third.code).toBe(3);
    expect(third.stderr).toContain('stages.a.outs.o (line 6): "../elsewhere.txt" is outside the project folder');
    expect(third.stderr).toContain("stages.a.cmd (line 5): ${params.n} names no declared param");
    writeFileSync(join(dir, "pipeline.yaml"), "version: 1\nstages:\n  a:\n    uses: cmd\n    outs: { o: x.txt }\n");
    const fourth = await runCli(dir, ["run"]);
    expect(fourth.code).toBe(3);
    expect(fourth.stderr).toContain("stages.a (line 4): a command stage needs `cmd`");
  });

  it("a SIGKILL of the run mid-command leaves no partial output, and the next run is fine", async () => {
    const pidFile = join(testProject({}), "command.pid");
    const yaml = (seconds: number) => slowYaml(pidFile, seconds);
    const dir = project(yaml(60));
    const child = startCli(dir, ["run"]);
    const done = finish(child);
    while (!existsSync(pidFile) || readFileSync(pidFile, "utf8").trim() === "") await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGKILL");
    await done;
    // the command outlives a SIGKILLed parent (no portable parent-death signal); it only ever wrote to its scratch folder
    process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
    expect(leftovers(dir).out).toEqual([]);
    const [scratch] = leftovers(dir).scratch;
    expect(scratch).toBeDefined();

    // gc removes the killed command's scratch folder once it is an hour old
    const hoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(dir, "cache", "tmp", scratch!), hoursAgo, hoursAgo);
    expect((await runCli(dir, ["gc"])).code).toBe(0);
    expect(leftovers(dir).scratch).toEqual([]);

    writeFileSync(join(dir, "pipeline.yaml"), yaml(0));
    const next = await runCli(dir, ["run", "--json"]);
    expect(next.code, next.stderr).toBe(0);
    expect(stagesWith(next, "ran")).toEqual(["slow"]);
    expect(readFileSync(join(dir, "out/o.txt"), "utf8")).toBe("half\n");
  });

  it("an interrupt (SIGINT) stops the command and its process group, and exits 130", async () => {
    const pidFile = join(testProject({}), "command.pid");
    const dir = project(slowYaml(pidFile, 60));
    const child = startCli(dir, ["run"]);
    const done = finish(child);
    while (!existsSync(pidFile) || readFileSync(pidFile, "utf8").trim() === "") await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGINT");
    const result = await done;
    expect(result.code).toBe(130);
    expect(() => process.kill(Number(readFileSync(pidFile, "utf8")), 0)).toThrow(/ESRCH/);
    expect(leftovers(dir)).toEqual({ out: [], scratch: [] });
  });
});

describe("the README's command stage example", () => {
  it("plots the fit's per-class scores after write-fit, with /usr/bin/python3 and no third-party module", async () => {
    const shipped = readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8");
    const readme = readFileSync(join(packageRoot(), "README.md"), "utf8");
    const example = /```yaml\n# the example command stage\n([\s\S]*?)```/.exec(readme)![1]!;
    const dir = testProject({
      "pipeline.yaml": `${shipped}\n${example}`,
      "examples/fit_summary.py": readFileSync(join(packageRoot(), "examples", "fit_summary.py")),
    });
    expect((await runCli(dir, ["demo-data", "--rows", "2000", "--features", "24"])).code).toBe(0);
    const run = await runCli(dir, ["run", "--json"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(stagesWith(run, "ran")).toContain("fit-summary");
    const fit = readFileSync(join(dir, "data/processed/knn_v1.parquet"));
    const summary = JSON.parse(readFileSync(join(dir, "data/processed/fit_summary.json"), "utf8"));
    const metrics = JSON.parse(readFileSync(join(dir, "data/processed/metrics_v1.json"), "utf8"));
    const { createHash } = await import("node:crypto");
    expect(summary).toMatchObject({
      fit_sha256: createHash("sha256").update(fit).digest("hex"),
      fit_bytes: fit.length,
      macro_f1: metrics.macro_f1,
    });
    const svg = readFileSync(join(dir, "data/processed/fit_summary.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    for (const c of metrics.per_class as { phase: string }[]) expect(svg).toContain(`>${c.phase}</text>`);
    const again = await runCli(dir, ["run", "--json"]);
    expect(stagesWith(again, "ran")).toEqual([]);
  });
});

/** A user's script (standard library only): reads the .npy header and first row, copies both deps out for the test to read. */
const PEEK_PY = `import ast, json, shutil, struct, sys
meta, features, meta_copy, features_copy, summary = sys.argv[1:6]
with open(features, "rb") as f:
    magic = f.read(8)
    (length,) = struct.unpack("<H", f.read(2))
    header = ast.literal_eval(f.read(length).decode("latin1"))
    rows, cols = header["shape"]
    first = struct.unpack("<%df" % cols, f.read(4 * cols))
with open(meta, "rb") as f:
    parquet_magic = f.read(4).decode()
shutil.copyfile(meta, meta_copy)
shutil.copyfile(features, features_copy)
with open(summary, "w") as f:
    json.dump({"npy_magic": magic.hex(), "header": {k: header[k] for k in ("descr", "fortran_order")}, "shape": [rows, cols],
               "first_row": [None if v != v else v for v in first], "parquet_magic": parquet_magic}, f)
`;

const TABLE_MATRIX_YAML = `version: 1
stages:
  load:
    inputs: { windows: data/demo/features_window_v1.parquet, schema: data/demo/feature_schema_v1.json }
  peek:
    uses: cmd
    cmd:
      [/usr/bin/python3, "\${deps.script}", "\${deps.meta}", "\${deps.features}", "\${outs.meta}", "\${outs.features}", "\${outs.summary}"]
    deps: { script: peek.py, meta: load.meta, features: load.features }
    outs: { meta: out/meta.parquet, features: out/features.npy, summary: { path: out/summary.json, kind: json } }
`;

/** A .npy file (format 1.0) parsed by hand: its header text and its float32 data. */
function readNpy(bytes: Buffer): { version: [number, number]; header: string; dataOffset: number; data: Float32Array } {
  expect(bytes.subarray(0, 6)).toEqual(Buffer.from([0x93, ...Buffer.from("NUMPY")]));
  const length = bytes.readUInt16LE(8);
  const dataOffset = 10 + length;
  const data = new Float32Array(new Uint8Array(bytes.subarray(dataOffset)).buffer);
  return { version: [bytes[6]!, bytes[7]!], header: bytes.subarray(10, dataOffset).toString("latin1"), dataOffset, data };
}

describe("deps on a built-in stage's table and matrix outputs", () => {
  it("gets load.meta as a parquet file and load.features as a float32 .npy, which Python and DuckDB read back", async () => {
    const dir = testProject({ "pipeline.yaml": TABLE_MATRIX_YAML, "peek.py": PEEK_PY });
    const rows = 1000;
    const features = 6;
    expect((await runCli(dir, ["demo-data", "--rows", String(rows), "--features", String(features)])).code).toBe(0);
    const run = await runCli(dir, ["run", "--json"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(stagesWith(run, "ran")).toEqual(["load", "peek"]);
    // peek.py is the project file, not an output "py" of stage peek; the table and matrix land under .pipeline/deps
    const runs = readdirSync(join(dir, "cache", "runs")).sort();
    const log = JSON.parse(readFileSync(join(dir, "cache", "runs", runs.at(-1)!), "utf8")) as {
      stages: { name: string; log?: string[] }[];
    };
    expect(log.stages.find((s) => s.name === "peek")!.log![0]).toBe(
      "$ /usr/bin/python3 peek.py .pipeline/deps/meta.parquet .pipeline/deps/features.npy " +
        "out/meta.parquet out/features.npy out/summary.json",
    );

    // the matrix: numpy's format 1.0, C order, <f4, shape (rows, features), data aligned to 64 bytes
    const npy = readNpy(readFileSync(join(dir, "out/features.npy")));
    expect(npy.version).toEqual([1, 0]);
    expect(npy.header).toMatch(new RegExp(`^\\{'descr': '<f4', 'fortran_order': False, 'shape': \\(${rows}, ${features}\\), \\} *\\n$`));
    expect(npy.dataOffset % 64).toBe(0);
    expect(npy.data.length).toBe(rows * features);
    const windows = join(dir, "data/demo/features_window_v1.parquet");
    const names = (JSON.parse(readFileSync(join(dir, "data/demo/feature_schema_v1.json"), "utf8")) as { feature_names: string[] })
      .feature_names;
    const source = await duckRows(`select ${names.map((n) => `"${n}"::double as "${n}"`).join(", ")} from read_parquet('${windows}')`);
    expect(source).toHaveLength(rows);
    const expected = source.flatMap((row) => names.map((n) => (row[n] === null ? Number.NaN : Math.fround(row[n] as number))));
    expect(Array.from(npy.data)).toEqual(expected);

    // what the Python script read from the same files
    const summary = JSON.parse(readFileSync(join(dir, "out/summary.json"), "utf8"));
    expect(summary).toEqual({
      npy_magic: "934e554d50590100",
      header: { descr: "<f4", fortran_order: false },
      shape: [rows, features],
      first_row: Array.from(npy.data.subarray(0, features), (v) => (Number.isNaN(v) ? null : v)),
      parquet_magic: "PAR1",
    });

    // the table: its columns in order, read by DuckDB, equal to the windows they came from
    const meta = join(dir, "out/meta.parquet");
    expect(await duckTypes(meta)).toEqual({ phase: "TINYINT", episode_id: "VARCHAR", host_id: "VARCHAR", profile: "VARCHAR" });
    const columns = "phase::integer as phase, episode_id, host_id, profile";
    expect(await duckRows(`select ${columns} from read_parquet('${meta}')`)).toEqual(
      await duckRows(`select ${columns} from read_parquet('${windows}')`),
    );

    const again = await runCli(dir, ["run", "--json"]);
    expect(stagesWith(again, "cached")).toEqual(["load", "peek"]);
  });
});
