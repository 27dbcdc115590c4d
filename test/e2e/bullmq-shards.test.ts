import { createHash } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SHARD_QUEUE } from "../../src/queue/connection.ts";
import { createSigningKeyPair } from "../../src/cache/signing.ts";
import { packageRoot } from "../../src/core/paths.ts";
import { duckRows } from "../helpers/duckdb.ts";
import { BIN, finish, removeTestProjects, runCli, startCli, testProject, type CliResult } from "../helpers/cli.ts";
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
function startWorker(dir: string, queue: string, env: Record<string, string>, args: string[] = [], bin = BIN): WorkerProcess {
  const child = spawn(process.execPath, [bin, "-C", dir, "worker", "--queue", queue, "--threads", "1", ...args], {
    env: { ...process.env, CI: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
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
/**
 * Another release of pipeline, as a worker machine might have installed: this build's files with
 * classify's module changed by a comment. Returns its CLI.
 */
function otherRelease(): string {
  const root = testProject({ "package.json": readFileSync(join(packageRoot(), "package.json"), "utf8") });
  cpSync(join(packageRoot(), "dist"), join(root, "dist"), { recursive: true });
  symlinkSync(join(packageRoot(), "node_modules"), join(root, "node_modules"));
  appendFileSync(join(root, "dist", "stages", "classify.js"), "\n// the next release's classify\n");
  return join(root, "dist", "src", "cli", "bin.js");
}

/** Every job of the shard queue, in any state: a finished or cancelled flow leaves none. */
async function jobsLeft(port: number): Promise<Record<string, number>> {
  const queue = new Queue(SHARD_QUEUE, { connection: { host: "127.0.0.1", port } });
  try {
    const counts = await queue.getJobCounts();
    return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
  } finally {
    await queue.close();
  }
}

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, "g"))?.length ?? 0;

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

  it("a shard failing every attempt (the worker's clone lacks an input file): exit 1 naming shard, worker, attempts, error", async () => {
    const broken = await clone();
    rmSync(join(broken, "data", "demo", "validation_v1.parquet"));
    const worker = startWorker(broken, redis.url, env);
    await worker.waitFor(/Ctrl-C stops$/m);
    const coordinator = await clone();
    const asked = ["run", "--json", "--write-outputs", "--set", "seed=13"];
    const started = Date.now();
    const run = await runCli(coordinator, [...asked, "--executor", "bullmq", "--queue", redis.url, "--shards", "2"], env);
    expect(run.code, run.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000); // it stops when the shard has failed for good, no hang
    const said = run.stderr + run.stdout;
    const failure = new RegExp(
      String.raw`classify.*shard (\d)/2 failed on worker (\S+) after 3 attempts: ` +
        String.raw`input validation: this worker cannot read data/demo/validation_v1\.parquet \(it does not exist\)`,
    ).exec(said);
    expect(failure, said).not.toBeNull();
    expect(failure![2]).toBe(`${hostname()}:${worker.child.pid}`);
    expect(run.stderr).toContain("hint: the rest of the flow was cancelled; see the output of `pipeline worker`");
    expect(stageOf(run, "classify").status).toBe("failed");
    // BullMQ did try it 3 times: the worker printed each failed attempt
    const attempts = new RegExp(`FAILED {3}classify shard ${failure![1]}/2: input validation: this worker cannot read`);
    expect(count(worker.output(), attempts)).toBe(3);
    expect(worker.output()).not.toMatch(/done {5}classify/);
    expect(await jobsLeft(redis.port)).toEqual({});
    // nothing was cached for classify, here or on the remote: the rerun computes it, the bytes of a run without a queue
    const rerun = await runCli(coordinator, asked, env);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(stageOf(rerun, "classify").status).toBe("ran");
    const here = await clone();
    const local = await runCli(here, asked);
    expect(local.code, local.stderr).toBe(0);
    expect(sha(join(coordinator, FIT))).toBe(sha(join(here, FIT)));
    expect(withoutLatency(coordinator)).toBe(withoutLatency(here));
    expect(stageOf(rerun, "classify").key).toBe(stageOf(local, "classify").key);
  });

  it("a worker on another release of classify refuses the job once, naming the code that differs; the run fails, no merge", async () => {
    const worker = startWorker(await clone(), redis.url, env, [], otherRelease());
    await worker.waitFor(/Ctrl-C stops$/m);
    const coordinator = await clone();
    const args = ["run", "--json", "--set", "seed=17", "--executor", "bullmq", "--queue", redis.url, "--shards", "2"];
    const run = await runCli(coordinator, args, env);
    expect(run.code, run.stderr).toBe(1);
    const said = run.stderr + run.stdout;
    const refusal = new RegExp(
      String.raw`shard (\d)/2 failed on worker \S+ after 1 attempt: this worker's clone gives stage classify another key than ` +
        String.raw`the coordinator's \(coordinator -> worker\): stage code changed: [0-9a-f]{8}\.\. -> [0-9a-f]{8}\.\. ` +
        String.raw`\(run the workers on the coordinator's commit, pipeline version and input files\)`,
    ).exec(said);
    expect(refusal, said).not.toBeNull();
    expect(stageOf(run, "classify")).toMatchObject({ status: "failed", key: expect.any(String) });
    // refused, not retried: one attempt of that shard, nothing computed, no merge
    expect(count(worker.output(), new RegExp(`FAILED {3}classify shard ${refusal![1]}/2: this worker's clone gives`))).toBe(1);
    expect(worker.output()).not.toMatch(/done {5}classify/);
    expect(await jobsLeft(redis.port)).toEqual({});
  });

  it("Redis not answering: a clear error naming the URL, exit 69, the hint to run here", async () => {
    const dir = await clone();
    const run = await runCli(dir, ["run", "--executor", "bullmq", "--queue", "redis://127.0.0.1:9"], env);
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/error: cannot reach the queue's Redis at redis:\/\/127\.0\.0\.1:9 \(connect ECONNREFUSED/);
    expect(run.stderr).toContain("--executor local");
    const worker = await runCli(dir, ["worker", "--queue", "redis://127.0.0.1:9"], env);
    expect(worker.code).toBe(69);
    expect(worker.stderr).toMatch(/error: cannot reach the queue's Redis at redis:\/\/127\.0\.0\.1:9 \(connect ECONNREFUSED/);
  });
});
