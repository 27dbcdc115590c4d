import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processStart } from "../../src/cache/lock.ts";
import { packageRoot } from "../../src/core/paths.ts";
import { finish, removeTestProjects, runCli, stagesWith, startCli, testProject } from "../helpers/cli.ts";

afterAll(removeTestProjects);

const TOY = readFileSync(new URL("../fixtures/engine/toy-stages.mjs", import.meta.url), "utf8");
const TRUST = readFileSync(new URL("../fixtures/engine/trust-stages.mjs", import.meta.url), "utf8");

/*   numbers.txt -> read ──numbers──┬─> big ──grid──┐
 *                                  └─> sum ─total──┴─> mean -> out/report.txt     */
function toyYaml(o: { read?: string; rows?: number; out?: string } = {}): string {
  return `version: 1
plugins: [toy.mjs, trust.mjs]
stages:
  read:
    uses: ${o.read ?? "toy-read"}
    inputs: { text: numbers.txt }
  big:
    uses: toy-big
    params: { rows: ${o.rows ?? 100} }
    inputs: { numbers: read.numbers }
  sum:
    uses: toy-sum
    inputs: { numbers: read.numbers }
  mean:
    uses: toy-mean
    inputs: { grid: big.grid, total: sum.total }
    outputs: { report: ${o.out ?? "out/report.txt"} }
`;
}

function toyProject(o: Parameters<typeof toyYaml>[0] = {}, numbers = "1\n2\n3\n"): string {
  return testProject({ "pipeline.yaml": toyYaml(o), "toy.mjs": TOY, "trust.mjs": TRUST, "numbers.txt": numbers });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A live process that is not pipeline: a lock naming it is held (or, with a wrong start, stale). */
function liveProcess(): ChildProcess {
  return spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
}

function writeLock(dir: string, holder: Record<string, unknown>): void {
  mkdirSync(join(dir, "cache"), { recursive: true });
  writeFileSync(
    join(dir, "cache/lock"),
    JSON.stringify({ host: hostname(), since: "2026-01-01T00:00:00Z", command: "pipeline run", ...holder }),
  );
}

describe("an input file that changes while its stage reads it", () => {
  it("fails the stage, stores nothing, and the next run reads the file afresh", async () => {
    const dir = toyProject({ read: "slow-read" });
    const input = join(dir, "numbers.txt");
    const running = finish(startCli(dir, ["run", "--json"]));
    await waitFor(() => existsSync(`${input}.read`), 30_000);
    writeFileSync(`${input}.new`, "10\n20\n30\n");
    renameSync(`${input}.new`, input); // swapped whole, as an editor or a sync tool does
    writeFileSync(`${input}.go`, "");
    const swapped = await running;
    expect(swapped.code, swapped.stderr).toBe(1);
    expect(swapped.stderr).toMatch(/read: numbers\.txt: input changed while it was read .*nothing was stored, run again/);
    expect(existsSync(join(dir, "cache/entries/read"))).toBe(false);

    writeFileSync(input, "1\n2\n3\n"); // put the first file back: it must not be a hit for the second's rows
    rmSync(`${input}.read`);
    const again = await runCli(dir, ["run", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(stagesWith(again, "ran")).toEqual(["read", "big", "sum", "mean"]);
    expect(readFileSync(join(dir, "out/report.txt"), "utf8")).toMatch(/ sum 6\n$/);
  });
});

describe("the project lock tells its holder apart from a later process with the same pid", () => {
  it("reclaims a lock naming a live pid whose start time differs (pid 1, or a reused pid)", async () => {
    const holder = liveProcess();
    try {
      for (const pid of [1, holder.pid!]) {
        const dir = toyProject();
        writeLock(dir, { pid, started: "another-boot:12345" });
        const run = await runCli(dir, ["run", "--no-wait"]);
        expect(run.code, run.stderr).toBe(0);
        expect(existsSync(join(dir, "cache/lock"))).toBe(false);
      }
    } finally {
      holder.kill();
    }
  });

  it("refuses with exit 75 while the holder is the very process that took it, and says how to clear it", async () => {
    const holder = liveProcess();
    try {
      await waitFor(() => processStart(holder.pid!) !== undefined, 5000);
      const dir = toyProject();
      writeLock(dir, { pid: holder.pid, started: processStart(holder.pid!) });
      const refused = await runCli(dir, ["run", "--no-wait"]);
      expect(refused.code).toBe(75);
      expect(refused.stderr).toContain(`another pipeline run holds this project (pid ${holder.pid}`);
      expect(refused.stderr).toContain("if no such run exists, delete cache/lock");
    } finally {
      holder.kill();
    }
  });

  it("cache verify waits for the lock like run, so it never deletes what a run is writing", async () => {
    const holder = liveProcess();
    const dir = toyProject();
    expect((await runCli(dir, ["run"])).code).toBe(0);
    await waitFor(() => processStart(holder.pid!) !== undefined, 5000);
    writeLock(dir, { pid: holder.pid, started: processStart(holder.pid!) });
    const child = startCli(dir, ["cache", "verify"]);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const verify = finish(child);
    await waitFor(() => out.includes("waiting for another pipeline command on this project"), 30_000);
    expect(out).not.toContain("checked");
    holder.kill();
    const done = await verify;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/checked \d+ objects and 4 entries: all intact/);
  });

  it("gc removes lock temp files left behind, and only old ones", async () => {
    const dir = toyProject();
    expect((await runCli(dir, ["run"])).code).toBe(0);
    const old = join(dir, "cache/lock.4242.deadbeef");
    const fresh = join(dir, "cache/lock.4243.cafebabe");
    writeFileSync(old, "");
    writeFileSync(fresh, "");
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(old, hourAgo, hourAgo);
    const gc = await runCli(dir, ["gc"]);
    expect(gc.code, gc.stderr).toBe(0);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });
});

describe("--keep-going and --dry-run say what happened in their own terms", () => {
  it("stages behind a failed one are skipped because it failed, never failed themselves", async () => {
    const dir = toyProject({}, "1\nnot a number\n");
    const run = await runCli(dir, ["run", "--json", "--keep-going"]);
    expect(run.code).toBe(1);
    expect(stagesWith(run, "failed")).toEqual(["read"]);
    expect(stagesWith(run, "skipped")).toEqual(["big", "sum", "mean"]);
    for (const name of ["big", "sum", "mean"]) {
      expect(run.json!.stages.find((s) => s.name === name)!.reason).toBe("not run because read failed");
    }
    expect(run.stdout).not.toContain("--until");
  });

  it("--dry-run --json marks stages would-run with their key and typed reasons", async () => {
    const dir = toyProject();
    const cold = await runCli(dir, ["run", "--dry-run", "--json"]);
    expect(cold.code).toBe(0);
    const read = cold.json!.stages.find((s) => s.name === "read") as Record<string, unknown>;
    expect(read.status).toBe("would-run");
    expect(read.key).toMatch(/^[0-9a-f]{64}$/);
    expect(read.reasons).toEqual([{ code: "never-run", detail: "never run before" }]);
    expect((await runCli(dir, ["run"])).code).toBe(0);
    const changed = await runCli(dir, ["run", "--dry-run", "--json", "--set", "big.rows=50"]);
    const big = changed.json!.stages.find((s) => s.name === "big") as Record<string, unknown>;
    expect(big.status).toBe("would-run");
    expect(big.reasons).toEqual([{ code: "params", detail: "params.rows: 100 -> 50" }]);
    expect(stagesWith(changed, "cached")).toEqual(["read", "sum"]);
  });
});

describe("declared outputs stay inside the project", () => {
  it("refuses, with exit 3, an output whose folder is a symbolic link to outside the project", async () => {
    const outside = mkdtempSync(join(tmpdir(), "outside-"));
    const dir = toyProject();
    symlinkSync(outside, join(dir, "out"));
    const run = await runCli(dir, ["run"]);
    expect(run.code, run.stdout).toBe(3);
    expect(run.stderr).toMatch(
      /stages\.mean\.outputs\.report \(line \d+\): "out\/report\.txt" resolves outside the project folder through a symbolic link/,
    );
    expect(readdirSync(outside)).toEqual([]);
  });

  it("accepts a symbolic link that stays inside the project", async () => {
    const dir = toyProject();
    mkdirSync(join(dir, "real-out"));
    symlinkSync(join(dir, "real-out"), join(dir, "out"));
    const run = await runCli(dir, ["run"]);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(dir, "real-out/report.txt"))).toBe(true);
  });
});

/*
 * A real full disk: a small tmpfs mounted inside .test-tmp (so the plugins still find the
 * package's node_modules). Mounting needs root, which CI has; without CI the case is skipped
 * out loud, never under CI.
 */
describe("a full disk", () => {
  const mountPoint = join(packageRoot(), ".test-tmp", `tmpfs-${process.pid}`);
  mkdirSync(mountPoint, { recursive: true });
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]).status === 0;
  afterAll(() => {
    if (mounted) spawnSync("umount", [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });
  if (!mounted && process.env.CI) throw new Error("cannot mount a tmpfs for the full-disk tests (they need root)");

  function projectOnTmpfs(name: string, rows: number): string {
    const dir = join(mountPoint, name);
    mkdirSync(dir);
    writeFileSync(join(dir, "pipeline.yaml"), toyYaml({ rows }));
    writeFileSync(join(dir, "toy.mjs"), TOY);
    writeFileSync(join(dir, "trust.mjs"), TRUST);
    writeFileSync(join(dir, "numbers.txt"), "1\n2\n3\n");
    return dir;
  }

  it.skipIf(!mounted)("a stage output that does not fit: a clear exit 1, nothing half-written left", async () => {
    const dir = projectOnTmpfs("big", 8000); // a 2 MB grid on a 1 MB disk
    const run = await runCli(dir, ["run", "--json"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/big: no space left on the device holding .*cache\/objects\/.. \(a write of about 2\.0 MB failed there\)/);
    expect(run.stdout + run.stderr).not.toMatch(/bug|\n\s+at /);
    expect(readdirSync(join(dir, "cache/tmp"))).toEqual([]);
    expect(stagesWith(run, "ran")).toEqual(["read", "sum"]);
    expect(readdirSync(join(dir, "cache")).filter((f) => f.startsWith("lock"))).toEqual([]);
  });

  it.skipIf(!mounted)("a disk too full for the lock: exit 1 naming it, and no lock temp file left", async () => {
    const dir = projectOnTmpfs("full", 10);
    mkdirSync(join(dir, "cache"));
    const filler = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) writeFileSync(join(dir, `filler-${Math.random()}`), filler);
    } catch {
      // the disk is full now; fill the last bytes too
      try {
        for (;;) writeFileSync(join(dir, `filler-${Math.random()}`), Buffer.alloc(512, 1));
      } catch {
        // full
      }
    }
    const run = await runCli(dir, ["run"]);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stderr).toMatch(/error: no space left on the device holding .*cache/);
    expect(run.stderr).not.toMatch(/bug|\n\s+at /);
    expect(readdirSync(join(dir, "cache")).filter((f) => f.startsWith("lock"))).toEqual([]);
  });
});
