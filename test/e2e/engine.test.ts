import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { finish, removeTestProjects, runCli, stagesWith, startCli, testProject } from "../helpers/cli.ts";

afterAll(removeTestProjects);

const STAGES = readFileSync(new URL("../fixtures/engine/toy-stages.mjs", import.meta.url), "utf8");

/*
 *   numbers.txt -> read ──numbers──┬─> big ──grid──┐
 *                                  └─> sum ─total──┴─> mean -> out/report.txt
 */
function toyYaml(o: { scale?: number; rows?: number; digits?: number } = {}): string {
  return `version: 1
seed: 7
plugins: [stages.mjs]
stages:
  read:
    uses: toy-read
    params: { scale: ${o.scale ?? 1} }
    inputs: { text: numbers.txt }
  big:
    uses: toy-big
    params: { rows: ${o.rows ?? 1000} }
    inputs: { numbers: read.numbers }
  sum:
    uses: toy-sum
    inputs: { numbers: read.numbers }
  mean:
    uses: toy-mean
    params: { digits: ${o.digits ?? 3} }
    inputs: { grid: big.grid, total: sum.total }
    outputs: { report: out/report.txt }
`;
}

function toyProject(o: Parameters<typeof toyYaml>[0] = {}): string {
  return testProject({ "pipeline.yaml": toyYaml(o), "stages.mjs": STAGES, "numbers.txt": "1\n2\n3\n" });
}

describe("pipeline run: what reruns", () => {
  it("runs everything cold, then takes everything from the cache", async () => {
    const dir = toyProject();
    const cold = await runCli(dir, ["run", "--json"]);
    expect(cold.code, cold.stderr).toBe(0);
    expect(stagesWith(cold, "ran")).toEqual(["read", "big", "sum", "mean"]);
    expect(readFileSync(join(dir, "out/report.txt"), "utf8")).toBe("mean 53.988 sum 6\n");

    const warm = await runCli(dir, ["run", "--json"]);
    expect(warm.code).toBe(0);
    expect(stagesWith(warm, "cached")).toEqual(["read", "big", "sum", "mean"]);
    expect(warm.json!.ok).toBe(true);
  });

  it("--set reruns only the stage and what depends on it, and explain says why", async () => {
    const dir = toyProject();
    expect((await runCli(dir, ["run"])).code).toBe(0);
    const changed = await runCli(dir, ["run", "--json", "--set", "big.rows=500"]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(stagesWith(changed, "cached")).toEqual(["read", "sum"]);
    expect(stagesWith(changed, "ran")).toEqual(["big", "mean"]);
    expect(changed.json!.stages.find((s) => s.name === "big")!.reason).toContain("params.rows: 1000 -> 500");

    const explain = await runCli(dir, ["explain", "big", "--set", "big.rows=700"]);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toMatch(/state: stale/);
    expect(explain.stdout).toContain("params.rows: 500 -> 700");
    expect(explain.stdout).toContain("input numbers <- read.numbers");
  });

  it("early cutoff: an upstream rerun with identical output leaves downstream cached", async () => {
    const dir = toyProject();
    expect((await runCli(dir, ["run"])).code).toBe(0);
    // same numbers, different bytes: read reruns, produces the same table, nothing else runs
    writeFileSync(join(dir, "numbers.txt"), "1\n2\n3\n\n");
    const second = await runCli(dir, ["run", "--json"]);
    expect(stagesWith(second, "ran")).toEqual(["read"]);
    expect(stagesWith(second, "cached")).toEqual(["big", "sum", "mean"]);
  });

  it("touching an input reruns nothing; changing one byte reruns it and everything downstream", async () => {
    const dir = toyProject();
    expect((await runCli(dir, ["run"])).code).toBe(0);
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(dir, "numbers.txt"), future, future);
    const touched = await runCli(dir, ["run", "--json"]);
    expect(stagesWith(touched, "ran")).toEqual([]);

    writeFileSync(join(dir, "numbers.txt"), "1\n2\n4\n");
    const edited = await runCli(dir, ["run", "--json"]);
    expect(stagesWith(edited, "ran")).toEqual(["read", "big", "sum", "mean"]);
    expect(edited.json!.stages[0]!.reason).toMatch(/input file text: sha [0-9a-f]{8}\.\. -> [0-9a-f]{8}\.\./);
  });

  it("a stage version bump reruns that stage", async () => {
    const dir = toyProject();
    expect((await runCli(dir, ["run"])).code).toBe(0);
    const source = readFileSync(join(dir, "stages.mjs"), "utf8");
    writeFileSync(join(dir, "stages.mjs"), source.replace(`const VERSION = "1";`, `const VERSION = "2";`));
    const bumped = await runCli(dir, ["run", "--json"]);
    expect(bumped.code).toBe(0);
    // every toy stage shares the version constant and the module: all rerun, and say why
    expect(stagesWith(bumped, "ran")).toEqual(["read", "big", "sum", "mean"]);
    expect(bumped.json!.stages[0]!.reason).toContain("stage version: 1 -> 2");
  });

  it("restores a deleted output file from the cache without recomputing", async () => {
    const dir = toyProject();
    expect((await runCli(dir, ["run"])).code).toBe(0);
    rmSync(join(dir, "out/report.txt"));
    const again = await runCli(dir, ["run", "--json"]);
    expect(stagesWith(again, "ran")).toEqual([]);
    expect(readFileSync(join(dir, "out/report.txt"), "utf8")).toBe("mean 53.988 sum 6\n");
  });
});

describe("pipeline run: output files", () => {
  it("an output path that cannot be written is a clear stage failure, not a crash", async () => {
    const dir = toyProject();
    mkdirSync(join(dir, "out/report.txt"), { recursive: true }); // a folder where the file should go
    const result = await runCli(dir, ["run", "--json"]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain("cannot write out/report.txt (outputs.report)");
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
  });

  it("an output whose cached object was damaged is recomputed when the file must be written again", async () => {
    const dir = toyProject();
    const cold = await runCli(dir, ["run", "--json"]);
    const key = cold.json!.stages.find((s) => s.name === "mean")!.key!;
    const entry = JSON.parse(readFileSync(join(dir, "cache/entries/mean", `${key}.json`), "utf8"));
    const objectFile = join(dir, "cache/objects", entry.outputs.report.hash.slice(0, 2), entry.outputs.report.hash);
    const bytes = readFileSync(objectFile);
    bytes[0]! ^= 0xff;
    writeFileSync(objectFile, bytes);
    rmSync(join(dir, "out/report.txt"));
    const next = await runCli(dir, ["run", "--json"]);
    expect(next.code, next.stderr).toBe(0);
    expect(stagesWith(next, "ran")).toEqual(["mean"]);
    expect(readFileSync(join(dir, "out/report.txt"), "utf8")).toBe("mean 53.988 sum 6\n");
  });

  it("demo-data into a path that cannot be a folder is a usage error", async () => {
    const dir = toyProject();
    const result = await runCli(dir, ["demo-data", "--rows", "1000", "--features", "8", "--out", join(dir, "numbers.txt", "demo")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot write the demo data to .*numbers\.txt\/demo/);
  });
});

describe("pipeline run: selection", () => {
  it("--only, --until, --from and --force", async () => {
    const dir = toyProject();
    const only = await runCli(dir, ["run", "--json", "--only", "sum"]);
    expect(only.code).toBe(1); // its input is not cached yet
    expect(only.stdout + only.stderr).toContain("run `pipeline run --until sum` first");

    const until = await runCli(dir, ["run", "--json", "--until", "sum"]);
    expect(stagesWith(until, "ran")).toEqual(["read", "sum"]);
    const from = await runCli(dir, ["run", "--json", "--from", "big"]);
    expect(stagesWith(from, "ran")).toEqual(["big", "mean"]);
    const forced = await runCli(dir, ["run", "--json", "--force", "sum"]);
    expect(stagesWith(forced, "ran")).toEqual(["sum"]);
    expect(forced.json!.stages.find((s) => s.name === "sum")!.reason).toBe("forced");
  });

  it("--dry-run and status report without running anything", async () => {
    const dir = toyProject();
    const dry = await runCli(dir, ["run", "--dry-run", "--json"]);
    expect(dry.code).toBe(0);
    expect(stagesWith(dry, "ran")).toEqual([]);
    expect(existsSync(join(dir, "cache/entries"))).toBe(false);
    const status = await runCli(dir, ["status"]);
    expect(status.stdout).toMatch(/read\s+stale/);
    expect(status.stdout).toContain("never run before");
  });
});

describe("pipeline run: the cache survives damage", () => {
  it("a corrupted object is reported, recomputed, and the run exits 0", async () => {
    const dir = toyProject();
    const objectFile = objectFileOf(dir, await runCli(dir, ["run", "--json"]), "read", "numbers");
    const bytes = readFileSync(objectFile);
    bytes[bytes.length - 9]! ^= 0xff; // same size, different bytes
    writeFileSync(objectFile, bytes);
    rmSync(join(dir, "out/report.txt")); // makes mean read its inputs again
    const next = await runCli(dir, ["run", "--json", "--force", "sum"]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout + next.stderr).toMatch(/corrupted|damaged/);
    expect(stagesWith(next, "ran")).toContain("read");
    expect(readFileSync(join(dir, "out/report.txt"), "utf8")).toBe("mean 53.988 sum 6\n");
  });

  it("damage that makes decoding fail is still reported as damage, not as a stage failure", async () => {
    const dir = toyProject();
    const objectFile = objectFileOf(dir, await runCli(dir, ["run", "--json"]), "read", "numbers");
    const bytes = readFileSync(objectFile);
    for (let i = 0; i < 16; i++) bytes[i]! ^= 0xff; // the Arrow IPC header: decoding throws
    writeFileSync(objectFile, bytes);
    const next = await runCli(dir, ["run", "--json", "--force", "sum"]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout + next.stderr).toMatch(/corrupted|damaged/);
    expect(stagesWith(next, "ran")).toEqual(expect.arrayContaining(["read", "sum"]));
    expect(readFileSync(join(dir, "out/report.txt"), "utf8")).toBe("mean 53.988 sum 6\n");
  });

  it("a truncated object is a miss: the stage reruns", async () => {
    const dir = toyProject();
    const objectFile = objectFileOf(dir, await runCli(dir, ["run", "--json"]), "big", "grid");
    writeFileSync(objectFile, readFileSync(objectFile).subarray(0, 100));
    const next = await runCli(dir, ["run", "--json"]);
    expect(next.code).toBe(0);
    expect(stagesWith(next, "ran")).toEqual(["big"]);
    expect(next.stdout + next.stderr).toContain("big.grid has 100 bytes");
  });

  it("kill -9 while a stage writes its output leaves a cache the next run uses", async () => {
    const dir = toyProject({ rows: 600_000 }); // a ~150 MB matrix: writing it takes a moment
    const child = startCli(dir, ["run"]);
    const tmp = join(dir, "cache/tmp");
    const done = finish(child);
    // the big stage's object is the only temp file that grows past a few kB
    const writingGrid = () =>
      existsSync(tmp) &&
      readdirSync(tmp).some((f) => f.endsWith(".tmp") && (statSync(join(tmp, f), { throwIfNoEntry: false })?.size ?? 0) > 1 << 20);
    await waitFor(writingGrid, 60_000);
    child.kill("SIGKILL");
    await done;
    const next = await runCli(dir, ["run", "--json"]);
    expect(next.code, next.stderr).toBe(0);
    expect(stagesWith(next, "ran")).toContain("big");
    expect(readFileSync(join(dir, "out/report.txt"), "utf8")).toMatch(/^mean \d+\.\d{3} sum 6\n$/);
    const verify = await runCli(dir, ["cache", "verify"]);
    expect(verify.code, verify.stdout).toBe(0);
  });

  it("SIGINT stops the run with exit 130 and the next run completes it", async () => {
    const dir = toyProject({ rows: 600_000 });
    const child = startCli(dir, ["run", "--json"]);
    const done = finish(child);
    await waitFor(() => existsSync(join(dir, "cache/entries/read")), 30_000);
    child.kill("SIGINT");
    const interrupted = await done;
    expect(interrupted.code).toBe(130);
    expect(existsSync(join(dir, "cache/lock"))).toBe(false); // released on the way out
    const next = await runCli(dir, ["run", "--json"]);
    expect(next.code, next.stderr).toBe(0);
    expect(stagesWith(next, "cached")).toContain("read");
  });

  it("two runs at once both succeed and leave a consistent cache", async () => {
    const dir = toyProject({ rows: 200_000 });
    const [a, b] = await Promise.all([runCli(dir, ["run", "--json"]), runCli(dir, ["run", "--json"])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ran = [...stagesWith(a, "ran"), ...stagesWith(b, "ran")].sort();
    expect(ran).toEqual(["big", "mean", "read", "sum"]); // each stage ran once, in one of them
    expect((await runCli(dir, ["cache", "verify"])).code).toBe(0);
  });

  it("--no-wait refuses while another run holds the project, naming the holder", async () => {
    const dir = toyProject();
    mkdirSync(join(dir, "cache"), { recursive: true });
    // a holder that is alive: this test process itself
    writeFileSync(
      join(dir, "cache/lock"),
      JSON.stringify({ pid: process.pid, host: hostname(), since: "2026-01-01T00:00:00Z", command: "pipeline run" }),
    );
    const refused = await runCli(dir, ["run", "--no-wait"]);
    expect(refused.code).toBe(75);
    expect(refused.stderr).toContain(
      `another pipeline run holds this project (pid ${process.pid} on ${hostname()}, since 2026-01-01T00:00:00Z`,
    );
    expect(existsSync(join(dir, "cache/entries"))).toBe(false);
  });

  it("a lock left by a killed run is reclaimed", async () => {
    const dir = toyProject();
    mkdirSync(join(dir, "cache"), { recursive: true });
    writeFileSync(join(dir, "cache/lock"), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: "earlier", command: "run" }));
    const run = await runCli(dir, ["run", "--no-wait"]);
    expect(run.code, run.stderr).toBe(0);
  });
});

describe("pipeline.yaml errors exit 3 and name the path", () => {
  const cases: [string, string, RegExp][] = [
    ["unknown key", toyYaml().replace("seed: 7", "seed: 7\nseeed: 1"), /\(top level\).*Unrecognized key.*"seeed"/s],
    ["unknown stage", toyYaml().replace("uses: toy-sum", "uses: toy-summ"), /stages\.sum\.uses \(line \d+\): unknown stage "toy-summ"/],
    ["bad param", toyYaml().replace("rows: 1000", "rows: many"), /stages\.big\.params\.rows \(line \d+\)/],
    ["unknown param", toyYaml().replace("digits: 3", "digits: 3, colour: red"), /stages\.mean\.params.*colour/s],
    [
      "unwired input",
      toyYaml().replace("inputs: { numbers: read.numbers }\n  mean", "inputs: {}\n  mean"),
      /stages\.sum\.inputs.*input "numbers" is not wired/,
    ],
    [
      "type mismatch",
      toyYaml().replace("grid: big.grid", "grid: sum.total"),
      /stages\.mean\.inputs\.grid.*sum\.total is a json but grid takes a matrix/,
    ],
    [
      "cycle",
      "version: 1\nplugins: [stages.mjs]\nstages:\n" +
        "  a: { uses: toy-copy, inputs: { numbers: b.numbers } }\n" +
        "  b: { uses: toy-copy, inputs: { numbers: a.numbers } }\n",
      /the inputs form a cycle through a -> b/,
    ],
    [
      "output outside the project",
      toyYaml().replace("out/report.txt", "../report.txt"),
      /stages\.mean\.outputs\.report.*outside the project folder/,
    ],
    ["yaml syntax", "version: 1\nstages: [unclosed\n", /yaml syntax/],
  ];
  for (const [label, yaml, message] of cases) {
    it(label, async () => {
      const dir = testProject({ "pipeline.yaml": yaml, "stages.mjs": STAGES, "numbers.txt": "1\n" });
      const result = await runCli(dir, ["run"]);
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /); // never a stack trace
      expect(existsSync(join(dir, "cache/entries"))).toBe(false);
    });
  }

  it("a bad --set is reported the same way", async () => {
    const dir = toyProject();
    const result = await runCli(dir, ["run", "--set", "big.rows=-x"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("stages.big.params.rows");
  });
});

/** The cache object file of `stage`'s output `slot`, found through the run's cache entry. */
function objectFileOf(dir: string, run: Awaited<ReturnType<typeof runCli>>, stage: string, slot: string): string {
  const key = run.json!.stages.find((s) => s.name === stage)!.key!;
  const entry = JSON.parse(readFileSync(join(dir, "cache/entries", stage, `${key}.json`), "utf8"));
  const hash: string = entry.outputs[slot].hash;
  return join(dir, "cache/objects", hash.slice(0, 2), hash);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 5));
  }
}
