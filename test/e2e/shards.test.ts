import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSigningKeyPair } from "../../src/cache/signing.ts";
import { packageRoot } from "../../src/core/paths.ts";
import { duckRows } from "../helpers/duckdb.ts";
import { finish, removeTestProjects, runCli, startCli, testProject, type CliResult } from "../helpers/cli.ts";
import { startNginx, type Nginx } from "../helpers/nginx.ts";

afterAll(removeTestProjects);

type Shards = { count: number; ran: number[]; local: number[]; remote: number[]; merged: boolean };
type Stage = { name: string; status: string; key: string | null; shards?: Shards; from?: string };
const stageOf = (run: CliResult, name: string) => (run.json!.stages as Stage[]).find((s) => s.name === name)!;
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const FIT = "data/processed/knn_v1.parquet";
const METRICS = "data/processed/metrics_v1.json";

/** metrics_v1.json without its measured latency (a wall-clock measurement differs run to run by nature) */
const metricsWithoutLatency = (dir: string) => {
  const { latency: _latency, ...rest } = JSON.parse(readFileSync(join(dir, METRICS), "utf8"));
  return JSON.stringify(rest);
};
const fitRows = (dir: string) => duckRows(`select * from read_parquet('${join(dir, FIT)}') order by episode_id, x, y, z`);

let demoData: string | undefined;
/** The shipped pipeline.yaml on small demo data (4000 x 40), generated once and copied. */
async function demoClone(extraYaml = ""): Promise<string> {
  const dir = testProject({ "pipeline.yaml": readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8") + extraYaml });
  if (!demoData) {
    expect((await runCli(dir, ["demo-data", "--rows", "4000", "--features", "40"])).code).toBe(0);
    demoData = join(dir, "data");
  } else cpSync(demoData, join(dir, "data"), { recursive: true });
  return dir;
}

/** The reference: one plain, unsharded run. */
let reference: { dir: string; run: CliResult };
beforeAll(async () => {
  const dir = await demoClone();
  const run = await runCli(dir, ["run", "--json"]);
  expect(run.code, run.stderr).toBe(0);
  expect(stageOf(run, "classify").shards).toBeUndefined();
  reference = { dir, run };
});

/** The outputs of `dir`'s last run are the reference's: the fit's bytes, its rows read by DuckDB, the stage keys downstream. */
async function expectReferenceOutputs(dir: string, run: CliResult): Promise<void> {
  expect(sha(join(dir, FIT))).toBe(sha(join(reference.dir, FIT)));
  expect(await fitRows(dir)).toEqual(await fitRows(reference.dir));
  expect(metricsWithoutLatency(dir)).toBe(metricsWithoutLatency(reference.dir));
  for (const stage of ["classify", "evaluate", "write-fit"]) expect(stageOf(run, stage).key).toBe(stageOf(reference.run, stage).key);
  const entry = (d: string, r: CliResult) =>
    JSON.parse(readFileSync(join(d, "cache/entries/classify", `${stageOf(r, "classify").key}.json`), "utf8")).outputs;
  expect(entry(dir, run)).toEqual(entry(reference.dir, reference.run)); // predictions, neighbours (evaluate reads it), info
}

describe("sharded classify, on this machine", () => {
  for (const count of [1, 2, 3]) {
    it(`--shards ${count}: the stage's key, entry and every output are those of the unsharded run`, async () => {
      const dir = await demoClone();
      const run = await runCli(dir, ["run", "--json", "--shards", String(count)]);
      expect(run.code, run.stderr).toBe(0);
      const classify = stageOf(run, "classify");
      expect(classify.status).toBe("ran");
      if (count === 1) expect(classify.shards).toBeUndefined();
      else expect(classify.shards).toEqual({ count, ran: [...Array(count).keys()], local: [], remote: [], merged: true });
      await expectReferenceOutputs(dir, run);
      // every shard is an entry of its own, next to the stage's
      expect(readdirSync(join(dir, "cache/entries/classify"))).toHaveLength(count === 1 ? 1 : count + 1);
    });
  }

  it("--shard 0/2 then --shard 1/2 in one clone compute one shard each; a plain run merges them without searching", async () => {
    const dir = await demoClone();
    const first = await runCli(dir, ["run", "--json", "--shard", "0/2"]);
    expect(first.code, first.stderr).toBe(0);
    expect(stageOf(first, "classify")).toMatchObject({ status: "ran", shards: { count: 2, ran: [0], merged: false } });
    // left to the merge
    for (const stage of ["cluster", "project", "evaluate", "write-fit"]) expect(stageOf(first, stage).status).toBe("skipped");
    const second = await runCli(dir, ["run", "--json", "--shard", "env/2"], { JOB_COMPLETION_INDEX: "1" });
    expect(second.code, second.stderr).toBe(0);
    expect(stageOf(second, "classify").shards).toMatchObject({ ran: [1], local: [0] });
    const again = await runCli(dir, ["run", "--json", "--shard", "1/2"]);
    expect(stageOf(again, "classify")).toMatchObject({ status: "cached", shards: { ran: [] } });
    const merge = await runCli(dir, ["run", "--json"]);
    expect(merge.code, merge.stderr).toBe(0);
    expect(stageOf(merge, "classify").shards).toEqual({ count: 2, ran: [], local: [0, 1], remote: [], merged: true });
    await expectReferenceOutputs(dir, merge);
  });

  it("a coordinator killed mid-run reuses the shards it finished", async () => {
    const dir = await demoClone();
    const entries = join(dir, "cache/entries/classify");
    const child = startCli(dir, ["run", "--shards", "6", "--threads", "1", "--jobs", "1"]);
    const done = finish(child);
    const deadline = Date.now() + 60_000;
    const count = () => {
      try {
        return readdirSync(entries).filter((f) => f.endsWith(".json")).length;
      } catch {
        return 0;
      }
    };
    while (count() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    child.kill("SIGKILL");
    await done;
    const finished = count();
    expect(finished).toBeGreaterThanOrEqual(1);
    expect(finished).toBeLessThan(6);
    const rerun = await runCli(dir, ["run", "--json", "--shards", "6"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    const shards = stageOf(rerun, "classify").shards!;
    expect(shards.local.length).toBe(finished);
    expect(shards.ran.length).toBe(6 - finished);
    await expectReferenceOutputs(dir, rerun);
  });

  it("a --shard that does not parse, or names no shardable stage, is a usage error", async () => {
    const dir = await demoClone();
    for (const args of [
      ["--shard", "2/2"],
      ["--shard", "x"],
      ["--shard", "env/2"],
      ["--shards", "0"],
      ["--shard", "0/2", "--only", "cluster"],
    ]) {
      const run = await runCli(dir, ["run", ...args], { JOB_COMPLETION_INDEX: "" });
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(/error: --shard/);
    }
  });
});

describe("shards in separate clones that share a remote cache (real nginx)", () => {
  let nginx: Nginx;
  let env: Record<string, string>;
  let trust: string;
  beforeAll(async () => {
    nginx = await startNginx();
    const { privateKeyPem, publicKey } = createSigningKeyPair();
    const keyFile = join(mkdtempSync(join(tmpdir(), "signing-")), "ci.key");
    writeFileSync(keyFile, privateKeyPem, { mode: 0o600 });
    env = { PIPELINE_REMOTE_CACHE: nginx.url, PIPELINE_REMOTE_CACHE_MODE: "readwrite", PIPELINE_CACHE_SIGNING_KEY: keyFile };
    trust = `cache:\n  remote:\n    trust: ["${publicKey}"]\n`;
  });
  afterAll(async () => nginx?.stop());

  it("--shard 0/2 and --shard 1/2 on two clones, then a third clone merges without computing a shard", async () => {
    const [a, b, c] = [await demoClone(trust), await demoClone(trust), await demoClone(trust)];
    const jobs = await Promise.all([
      runCli(a, ["run", "--json", "--shard", "0/2"], env),
      runCli(b, ["run", "--json", "--shard", "1/2"], env),
    ]);
    for (const job of jobs) expect(job.code, job.stderr).toBe(0);
    expect(stageOf(jobs[0]!, "classify").shards).toMatchObject({ ran: [0] });
    expect(stageOf(jobs[1]!, "classify").shards).toMatchObject({ ran: [1] });

    const merge = await runCli(c, ["run", "--json"], env);
    expect(merge.code, merge.stderr).toBe(0);
    expect(stageOf(merge, "classify")).toMatchObject({
      status: "ran",
      shards: { count: 2, ran: [], local: [], remote: [0, 1], merged: true },
    });
    await expectReferenceOutputs(c, merge);
    // the merge was offered to the remote like any stage: a fourth clone only downloads it
    const d = await demoClone(trust);
    const read = await runCli(d, ["run", "--json"], { ...env, PIPELINE_REMOTE_CACHE_MODE: "read" });
    expect(stageOf(read, "classify")).toMatchObject({ status: "cached", from: "remote" });
    expect(sha(join(d, FIT))).toBe(sha(join(reference.dir, FIT)));
  });
});
