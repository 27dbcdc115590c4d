import { createHash } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SHARD_QUEUE } from "../../src/queue/connection.ts";
import { createSigningKeyPair } from "../../src/cache/signing.ts";
import { packageRoot } from "../../src/core/paths.ts";
import { duckRows } from "../helpers/duckdb.ts";
import { finish, removeTestProjects, runCli, startCli, testProject, type CliResult } from "../helpers/cli.ts";
import { startNginx, type Nginx } from "../helpers/nginx.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";

afterAll(removeTestProjects);

type Stage = {
  name: string;
  status: string;
  key: string | null;
  shards?: { count: number; ran: number[]; local: number[]; remote: number[]; merged: boolean };
};
const stageOf = (run: CliResult, name: string) => (run.json!.stages as Stage[]).find((s) => s.name === name)!;
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const FIT = "data/processed/knn_v1.parquet";
const METRICS = "data/processed/metrics_v1.json";
const withoutLatency = (dir: string) => {
  const { latency: _latency, ...rest } = JSON.parse(readFileSync(join(dir, METRICS), "utf8"));
  return JSON.stringify(rest);
};

let trust = "";
let demoData: string | undefined;
async function clone(): Promise<string> {
  const dir = testProject({ "pipeline.yaml": readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8") + trust });
  if (!demoData) {
    expect((await runCli(dir, ["demo-data", "--rows", "4000", "--features", "40"])).code).toBe(0);
    demoData = join(dir, "data");
  } else cpSync(demoData, join(dir, "data"), { recursive: true });
  return dir;
}

/** A `pipeline worker` process whose output lines the test can wait for. */
interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}
const workers: WorkerProcess[] = [];
function startWorker(dir: string, queue: string, env: Record<string, string>, args: string[] = []): WorkerProcess {
  const child = startCli(dir, ["worker", "--queue", queue, "--threads", "1", ...args], env);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const worker: WorkerProcess = {
    child,
    output: () => out,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (Date.now() > deadline) throw new Error(`worker never printed ${pattern}:\n${out}`);
        if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode}:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
  workers.push(worker);
  return worker;
}
afterEach(async () => {
  for (const w of workers.splice(0)) {
    if (w.child.exitCode !== null || w.child.signalCode !== null) continue;
    const exited = new Promise((r) => w.child.once("exit", r));
    w.child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    w.child.kill("SIGKILL");
  }
});

describe("sharded classify on BullMQ workers (real redis-server, real nginx remote, real worker processes)", () => {
  let redis: RedisServer;
  let nginx: Nginx;
  let env: Record<string, string>;
  let reference: { dir: string; run: CliResult };
  beforeAll(async () => {
    redis = await startRedis();
    nginx = await startNginx();
    const { privateKeyPem, publicKey } = createSigningKeyPair();
    const keyFile = join(mkdtempSync(join(tmpdir(), "signing-")), "ci.key");
    writeFileSync(keyFile, privateKeyPem, { mode: 0o600 });
    env = { PIPELINE_REMOTE_CACHE: nginx.url, PIPELINE_REMOTE_CACHE_MODE: "readwrite", PIPELINE_CACHE_SIGNING_KEY: keyFile };
    trust = `cache:\n  remote:\n    trust: ["${publicKey}"]\n`;
    const dir = await clone();
    const run = await runCli(dir, ["run", "--json"]); // the reference: unsharded, no remote, no queue
    expect(run.code, run.stderr).toBe(0);
    reference = { dir, run };
  });
  afterAll(async () => {
    await redis?.stop();
    await nginx?.stop();
  });

  async function expectReference(dir: string, run: CliResult): Promise<void> {
    expect(sha(join(dir, FIT))).toBe(sha(join(reference.dir, FIT)));
    const rows = (d: string) => duckRows(`select * from read_parquet('${join(d, FIT)}') order by episode_id, x, y, z`);
    expect(await rows(dir)).toEqual(await rows(reference.dir));
    expect(withoutLatency(dir)).toBe(withoutLatency(reference.dir));
    for (const stage of ["classify", "evaluate", "write-fit"]) expect(stageOf(run, stage).key).toBe(stageOf(reference.run, stage).key);
  }

  it("4 shards on 3 workers: the merged outputs are the unsharded run's", async () => {
    const pool = await Promise.all([clone(), clone(), clone()]);
    const started = pool.map((dir) => startWorker(dir, redis.url, env));
    await Promise.all(started.map((w) => w.waitFor(/^worker .* Ctrl-C stops$/m)));
    const coordinator = await clone();
    const run = await runCli(coordinator, ["run", "--json", "--executor", "bullmq", "--queue", redis.url, "--shards", "4"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(stageOf(run, "classify")).toMatchObject({ status: "ran", shards: { count: 4, ran: [0, 1, 2, 3], merged: true } });
    await expectReference(coordinator, run);
    const all = started.map((w) => w.output()).join("\n");
    for (const i of [0, 1, 2, 3]) expect(all).toMatch(new RegExp(`done     classify shard ${i}/4 in`));
    expect(all).toMatch(/done {5}classify merge of 4 shards in/);
    // the coordinator's rows named the workers that ran the shards
    expect(run.stderr + run.stdout).toMatch(/shard {4}classify \d\/4 done on [^ ]+:\d+ in/);
  });

  it("a worker SIGKILLed mid-shard: BullMQ's stalled-job check gives its shard to another, outputs identical", async () => {
    const [first, second] = [await clone(), await clone()];
    const victim = startWorker(first, redis.url, env, ["--lock-ms", "1500"]);
    await victim.waitFor(/Ctrl-C stops$/m);
    const coordinator = await clone();
    const child = startCli(
      coordinator,
      ["run", "--json", "--executor", "bullmq", "--queue", redis.url, "--shards", "2", "--set", "seed=7", "--write-outputs"],
      env,
    );
    const done = finish(child);
    await victim.waitFor(/start {4}classify shard/);
    victim.child.kill("SIGKILL");
    const survivor = startWorker(second, redis.url, env, ["--lock-ms", "1500"]);
    const run = await done;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr + run.stdout).toMatch(/shard \d\/2's worker stopped answering; BullMQ gives the shard to another worker/);
    expect(survivor.output()).toMatch(/done {5}classify shard 0\/2/);
    expect(survivor.output()).toMatch(/done {5}classify shard 1\/2/);
    // the same seed unsharded, here, gives the same bytes
    const here = await clone();
    const local = await runCli(here, ["run", "--json", "--set", "seed=7", "--write-outputs"]);
    expect(local.code, local.stderr).toBe(0);
    expect(sha(join(coordinator, FIT))).toBe(sha(join(here, FIT)));
    expect(withoutLatency(coordinator)).toBe(withoutLatency(here));
    expect(stageOf(run, "classify").key).toBe(stageOf(local, "classify").key);
  });

  it("Ctrl-C of the coordinator cancels the flow: the running shard is aborted, the waiting ones removed, exit 130", async () => {
    const worker = startWorker(await clone(), redis.url, env);
    await worker.waitFor(/Ctrl-C stops$/m);
    const coordinator = await clone();
    const child = startCli(coordinator, ["run", "--executor", "bullmq", "--queue", redis.url, "--shards", "3", "--set", "seed=11"], env);
    const done = finish(child);
    await worker.waitFor(/start {4}classify shard/);
    child.kill("SIGINT");
    const run = await done;
    expect(run.code, run.stderr).toBe(130);
    expect(run.stdout).toMatch(/interrupted: the shards queued on bullmq redis:\/\/127\.0\.0\.1:\d+ were cancelled/);
    await worker.waitFor(/FAILED {3}classify shard \d\/3: cancelled/);
    const queue = new Queue(SHARD_QUEUE, { connection: { host: "127.0.0.1", port: redis.port } });
    try {
      const counts = await queue.getJobCounts("waiting", "active", "waiting-children", "delayed");
      expect(counts).toEqual({ waiting: 0, active: 0, "waiting-children": 0, delayed: 0 });
    } finally {
      await queue.close();
    }
  });

  it("Redis not answering: a clear error naming the URL, exit 69, the hint to run here", async () => {
    const dir = await clone();
    const run = await runCli(dir, ["run", "--executor", "bullmq", "--queue", "redis://127.0.0.1:9"], env);
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/error: cannot reach the queue's Redis at redis:\/\/127\.0\.0\.1:9 \(connect ECONNREFUSED/);
    expect(run.stderr).toContain("--executor local");
    const worker = await runCli(dir, ["worker", "--queue", "redis://127.0.0.1:9"], env);
    expect(worker.code).toBe(69);
  });
});
