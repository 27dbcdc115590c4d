import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { StageResult } from "../../src/core/events.ts";
import type { RunLog } from "../../src/engine/run-log.ts";
import { removeTestProjects, runCli, testProject } from "../helpers/cli.ts";

afterAll(removeTestProjects);

const YAML = `version: 1
seed: 7
plugins: [stages.mjs]
stages:
  read:
    uses: toy-read
    params: { scale: 1 }
    inputs: { text: numbers.txt }
`;

const STAGE_NAMES = ["load", "standardize", "project", "cluster", "classify", "evaluate", "write-fit"];

/** A run log as `pipeline run` writes it, with key records of a realistic size. */
function runLog(
  i: number,
  o: { k?: number; config?: "yaml" | "override"; name?: string; ok?: boolean; f1?: number; inertia?: number } = {},
): RunLog {
  const ss = String(i % 60).padStart(2, "0");
  const mm = String(Math.floor(i / 60)).padStart(2, "0");
  const metrics: Record<string, Record<string, number>> = {
    cluster: { inertia: o.inertia ?? 2e7 + i },
    evaluate: { macro_f1: o.f1 ?? 0.7 + i / 1000, "latency.single_window_ms": 5.6, "f1.clean": 0.9 },
  };
  const stages: StageResult[] = STAGE_NAMES.map((name) => ({
    name,
    status: o.ok === false && name === "evaluate" ? "skipped" : "ran",
    ms: 10,
    key: "a".repeat(64),
    reason: "",
    parts: { engine: 3, stage: name, params: { pad: "x".repeat(1500) }, inputs: { features: "b".repeat(64) } },
    outputs: { out: { hash: "c".repeat(64), size: 100, kind: "json" } },
    ...(metrics[name] && !(o.ok === false && name === "evaluate") ? { metrics: metrics[name] } : {}),
  }));
  return {
    id: `2026-01-01T10-${mm}-${ss}-000Z-${1000 + i}`,
    started: `2026-01-01T10:${mm}:${ss}.000Z`,
    ms: 1000,
    ok: o.ok ?? true,
    command: "pipeline run",
    seed: 0,
    params: {
      load: { max_rows: null },
      project: { method: "lda", sample_for_fit: 50000 },
      cluster: { k: o.k ?? 8, n_init: 4, batch_size: 2048 },
      classify: { split: "host", train_hosts: ["a", "b"], k: 10 },
    },
    ...(o.name ? { name: o.name } : {}),
    config: o.config ?? "yaml",
    inputBytesHashed: 0,
    stages,
  };
}

function projectWith(logs: RunLog[]): string {
  const dir = testProject({ "pipeline.yaml": YAML, "stages.mjs": "export default [];\n", "numbers.txt": "1\n" });
  mkdirSync(join(dir, "cache", "runs"), { recursive: true });
  for (const log of logs) writeFileSync(join(dir, "cache", "runs", `${log.id}.json`), JSON.stringify(log, null, 2));
  return dir;
}

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else if (ch !== "\r") field += ch;
  }
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

const BASE = runLog(1, { f1: 0.75, inertia: 2e7 });
const K5 = runLog(2, { k: 5, config: "override", name: "k5, fewer", f1: 0.8, inertia: 2.5e7 });
const FAILED = runLog(3, { k: 3, config: "override", name: "k3", ok: false, inertia: 3e7 });

describe("pipeline exp", () => {
  it("exp show --csv: the changed params and every metric, one row per run, newest first", async () => {
    const dir = projectWith([BASE, K5, FAILED]);
    const result = await runCli(dir, ["exp", "show", "--csv"]);
    expect(result.code, result.stderr).toBe(0);
    const [header, ...rows] = parseCsv(result.stdout);
    expect(header).toEqual([
      "id",
      "name",
      "started",
      "status",
      "config",
      "cluster.k",
      "cluster.inertia",
      "evaluate.f1.clean",
      "evaluate.latency.single_window_ms",
      "evaluate.macro_f1",
    ]);
    expect(rows).toEqual([
      [FAILED.id, "k3", FAILED.started, "failed", "override", "3", "30000000", "", "", ""],
      [K5.id, "k5, fewer", K5.started, "ok", "override", "5", "25000000", "0.9", "5.6", "0.8"],
      [BASE.id, "", BASE.started, "ok", "yaml", "8", "20000000", "0.9", "5.6", "0.75"],
    ]);
  });

  it("exp show --json parses; --sort-by and --limit apply; text marks the yaml run", async () => {
    const dir = projectWith([BASE, K5, FAILED]);
    const json = await runCli(dir, ["exp", "show", "--json", "--sort-by", "macro_f1", "--sort-order", "desc", "--limit", "2"]);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as { id: string; params: Record<string, unknown>; metrics: Record<string, number | null> }[];
    expect(rows.map((r) => r.id)).toEqual([K5.id, FAILED.id]);
    expect(rows[0]!.params).toEqual({ "cluster.k": 5 });
    expect(rows[1]!.metrics["evaluate.macro_f1"]).toBeNull();

    const text = await runCli(dir, ["exp", "show"]);
    expect(text.code).toBe(0);
    expect(
      text.stdout
        .split("\n")
        .find((l) => l.includes(BASE.id))!
        .startsWith("*"),
    ).toBe(true);
    expect(text.stdout).toContain("ran with pipeline.yaml's own parameters");
  });

  it("exp show --keep/--drop choose the parameter and metric columns by glob", async () => {
    const dir = projectWith([BASE, K5, FAILED]);
    const header = async (...args: string[]) => {
      const result = await runCli(dir, ["exp", "show", "--csv", ...args]);
      expect(result.code, result.stderr).toBe(0);
      return parseCsv(result.stdout)[0]!.slice(5); // after id, name, started, status, config
    };
    expect(await header("--drop", "evaluate.*")).toEqual(["cluster.k", "cluster.inertia"]);
    expect(await header("--keep", "macro_f1")).toEqual(["evaluate.macro_f1"]); // alone: only what it keeps
    expect(await header("--drop", "*", "--keep", "cluster.inertia,f1.*")).toEqual(["cluster.inertia", "evaluate.f1.clean"]);
    // --keep shows a parameter whose value is the same in every run; --drop hides a differing one
    expect(await header("--drop", "cluster.k", "--keep", "classify.split")).toEqual([
      "classify.split",
      "cluster.inertia",
      "evaluate.f1.clean",
      "evaluate.latency.single_window_ms",
      "evaluate.macro_f1",
    ]);
    expect(await header("--drop", "latency.*", "--drop", "f1.*")).toEqual(["cluster.k", "cluster.inertia", "evaluate.macro_f1"]);

    // the choice applies to every format; sorting may use a hidden column
    const sorted = ["--sort-by", "evaluate.macro_f1", "--sort-order", "desc"];
    const json = await runCli(dir, ["exp", "show", "--json", "--keep", "cluster.*", ...sorted]);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as { id: string; params: Record<string, unknown>; metrics: Record<string, number | null> }[];
    expect(rows.map((r) => r.id)).toEqual([K5.id, BASE.id, FAILED.id]);
    expect(rows[0]).toMatchObject({ params: { "cluster.k": 5 }, metrics: { "cluster.inertia": 2.5e7 } });
    expect(Object.keys(rows[0]!.metrics)).toEqual(["cluster.inertia"]);
    const md = await runCli(dir, ["exp", "show", "--md", "--keep", "inertia"]);
    expect(md.stdout.split("\n")[0]).toMatch(/^\|.*\| status \| cluster\.inertia \|$/);

    const typo = await runCli(dir, ["exp", "show", "--keep", "evalute.*"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("error: exp show --keep evalute.*: matches no parameter or metric column");
    expect(typo.stderr).toContain(
      "patterns are globs over column names, such as evaluate.* or cluster.inertia; the columns are seed, load.max_rows,",
    );
  });

  it("exp show --sort-by works on any metric and names the valid ones for an unknown one", async () => {
    const dir = projectWith([BASE, K5, FAILED]);
    for (const [column, expected] of [
      ["cluster.inertia", [BASE.id, K5.id, FAILED.id]],
      ["f1.clean", [K5.id, BASE.id, FAILED.id]], // equal values keep newest first; the failed run has none and comes last
      ["evaluate.latency.single_window_ms", [K5.id, BASE.id, FAILED.id]],
      ["cluster.k", [FAILED.id, K5.id, BASE.id]],
    ] as const) {
      const result = await runCli(dir, ["exp", "show", "--json", "--sort-by", column]);
      expect(result.code, `${column}: ${result.stderr}`).toBe(0);
      expect(
        (JSON.parse(result.stdout) as { id: string }[]).map((r) => r.id),
        column,
      ).toEqual(expected);
    }
    const unknown = await runCli(dir, ["exp", "show", "--sort-by", "accuracy"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: --sort-by accuracy: no such column");
    expect(unknown.stderr).toMatch(/hint: columns: seed, load\.max_rows, .*, cluster\.inertia, .*, evaluate\.macro_f1$/m);
  });

  it("exp diff A B gives the params and metrics rows; a bad name is a usage error listing runs", async () => {
    const dir = projectWith([BASE, K5, FAILED]);
    const result = await runCli(dir, ["exp", "diff", BASE.id.slice(0, 22), "k5, fewer", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const diff = JSON.parse(result.stdout);
    expect(diff.a.id).toBe(BASE.id);
    expect(diff.b).toEqual({ id: K5.id, name: "k5, fewer" });
    expect(diff.params).toEqual([{ path: "cluster", name: "k", old: 8, new: 5 }]);
    expect(diff.metrics).toEqual([
      { path: "cluster", name: "inertia", old: 2e7, new: 2.5e7, change: 5e6 },
      { path: "evaluate", name: "macro_f1", old: 0.75, new: 0.8, change: expect.closeTo(0.05, 12) },
    ]);

    const bad = await runCli(dir, ["exp", "diff", "nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no recorded run is "nope"');
    expect(bad.stderr).toContain(K5.id);
    const ambiguous = await runCli(dir, ["exp", "diff", "2026-01-01T10"]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("matches 3 runs");
  });

  it("metrics diff and params diff default to the newest other run against the workspace run", async () => {
    const dir = projectWith([BASE, K5, FAILED]);
    const metrics = await runCli(dir, ["metrics", "diff", "--json"]);
    expect(metrics.code, metrics.stderr).toBe(0);
    const m = JSON.parse(metrics.stdout);
    expect([m.a.id, m.b.id]).toEqual([FAILED.id, BASE.id]);
    expect(m.metrics).toContainEqual({ path: "evaluate", name: "macro_f1", old: null, new: 0.75, change: null });
    expect(m.params).toBeUndefined();

    const text = await runCli(dir, ["metrics", "diff", "k5, fewer"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/cluster\s+inertia\s+25000000\s+20000000\s+-5000000/);

    const params = await runCli(dir, ["params", "diff", "k5, fewer", "--md"]);
    expect(params.code, params.stderr).toBe(0);
    expect(params.stdout).toContain("| cluster | k | 5 | 8 |");
  });

  it("exp show over 100 recorded runs answers quickly", async () => {
    const logs = Array.from({ length: 100 }, (_, i) =>
      runLog(i, { k: 2 + (i % 10), config: i % 3 === 0 ? "yaml" : "override", name: `exp-${i}` }),
    );
    const dir = projectWith(logs);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const result = await runCli(dir, ["exp", "show"]);
      times.push(performance.now() - t0);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.split("\n").filter((l) => l.includes("exp-"))).toHaveLength(100);
    }
    const best = Math.min(...times);
    console.log(`exp show, 100 runs: best ${best.toFixed(0)} ms of ${times.map((t) => t.toFixed(0)).join(", ")} (process start included)`);
    expect(best).toBeLessThan(1000); // generous for a loaded 2-core machine; typically far less
  });
});
