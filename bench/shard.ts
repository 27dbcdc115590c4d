/**
 * classify (the exact KNN) unsharded against 2 shards on 2 single-threaded BullMQ workers, on
 * this machine, with a real redis-server and nginx remote cache on 127.0.0.1:
 *
 *   unsharded  `pipeline run --until classify`, all cores: classify's time (the baseline)
 *   sharded    upstream computed and pushed first (not timed), 2 `pipeline worker --threads 1`,
 *              then `pipeline run --until classify --executor bullmq --shards 2`: classify's time
 *              (queueing, the workers' downloads, both shards, the merge, the coordinator's fetch)
 *   bytes      what the remote served and took during the sharded classify, per shard
 *   projected  classify's wall time at 1M and 3M windows on 8 and 32 workers, from the measured
 *              single-thread work (scaled by rows squared: every query meets every reference
 *              row) and the measured per-run overheads (scaled by rows: downloads and the merge)
 *
 *   node dist/bench/shard.js --data DIR --out FILE      (npm run bench -- --only shard --rows 600000)
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createSigningKeyPair } from "../src/cache/signing.ts";
import { packageRoot } from "../src/core/paths.ts";
import { startNginx } from "../test/helpers/nginx.ts";
import { startRedis } from "../test/helpers/redis.ts";

const { values } = parseArgs({ options: { data: { type: "string" }, out: { type: "string" } } });
const root = packageRoot();
const bin = join(root, "dist", "src", "cli", "bin.js");
const work = join(root, ".bench", "shard");
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const { privateKeyPem, publicKey } = createSigningKeyPair();
const keyFile = join(work, "ci.key");
writeFileSync(keyFile, privateKeyPem, { mode: 0o600 });

function clone(name: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, "data"), { recursive: true });
  cpSync(values.data!, join(dir, "data", "demo"), { recursive: true });
  writeFileSync(
    join(dir, "pipeline.yaml"),
    `${readFileSync(join(root, "pipeline.yaml"), "utf8")}cache:\n  remote:\n    trust: ["${publicKey}"]\n`,
  );
  return dir;
}

type Stage = { name: string; status: string; ms: number; key: string | null };
function run(dir: string, args: string[], env: Record<string, string> = {}): { code: number | null; stages: Stage[] } {
  const result = spawnSync(process.execPath, [bin, "-C", dir, ...args, "--json"], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    env: { ...process.env, CI: "1", ...env },
  });
  if (result.status !== 0) process.stderr.write(result.stderr.slice(-3000));
  try {
    return { code: result.status, stages: JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "").stages as Stage[] };
  } catch {
    return { code: result.status, stages: [] };
  }
}
const classifyOf = (r: { stages: Stage[] }) => r.stages.find((s) => s.name === "classify");
const round = (x: number) => Math.round(x * 1000) / 1000;

/** The window count, from classify's info output (its counts per role). */
function windowsOf(dir: string, key: string): number {
  const entry = JSON.parse(readFileSync(join(dir, "cache", "entries", "classify", `${key}.json`), "utf8")) as {
    outputs: { info: { hash: string } };
  };
  const hash = entry.outputs.info.hash;
  const info = JSON.parse(readFileSync(join(dir, "cache", "objects", hash.slice(0, 2), hash), "utf8")) as {
    counts: Record<string, number>;
  };
  return Object.values(info.counts).reduce((a, b) => a + b, 0);
}

const redis = await startRedis();
const nginx = await startNginx();
const workers: ReturnType<typeof spawn>[] = [];
try {
  const env = { PIPELINE_REMOTE_CACHE: nginx.url, PIPELINE_REMOTE_CACHE_MODE: "readwrite", PIPELINE_CACHE_SIGNING_KEY: keyFile };
  const singleDir = clone("single");
  const single = run(singleDir, ["run", "--until", "classify"], { PIPELINE_REMOTE_CACHE_MODE: "off" });
  const rows = windowsOf(singleDir, classifyOf(single)?.key ?? "");
  const coordinator = clone("coordinator");
  run(coordinator, ["run", "--until", "standardize"], env); // upstream, pushed: not timed

  const outputs: string[] = [];
  for (const i of [0, 1]) {
    const child = spawn(process.execPath, [bin, "-C", clone(`worker-${i}`), "worker", "--queue", redis.url, "--threads", "1"], {
      env: { ...process.env, CI: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    outputs[i] = "";
    child.stdout!.on("data", (d: Buffer) => (outputs[i] += d.toString()));
    workers.push(child);
  }
  while (!outputs.every((o) => /Ctrl-C stops/.test(o ?? ""))) await new Promise((r) => setTimeout(r, 50));

  const logBefore = nginx.accessLog().length;
  const sharded = run(coordinator, ["run", "--until", "classify", "--executor", "bullmq", "--queue", redis.url, "--shards", "2"], env);
  const log = nginx.accessLog().slice(logBefore);
  const served = log.filter((l) => l.method === "GET").reduce((n, l) => n + l.bodyBytes, 0);
  const taken = log.filter((l) => l.method === "PUT").reduce((n, l) => n + l.requestBytes, 0);
  // spawnSync held the event loop: the workers' lines are read now
  const until = Date.now() + 10_000;
  while (!/merge of 2 shards/.test(outputs.join("\n")) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  const seconds = (pattern: RegExp) => [...outputs.join("\n").matchAll(pattern)].map((m) => Number(m[1]));
  const shardSeconds = seconds(/done {5}classify shard \d\/2 in ([\d.]+)s/g);
  const mergeSeconds = seconds(/done {5}classify merge of 2 shards in ([\d.]+)s/g)[0] ?? NaN;

  const unshardedS = (classifyOf(single)?.ms ?? NaN) / 1000;
  const shardedS = (classifyOf(sharded)?.ms ?? NaN) / 1000;
  // single-thread work of the whole search, and what a sharded run adds on top of its slowest shard
  const work1 = shardSeconds.reduce((a, b) => a + b, 0);
  const overhead = shardedS - Math.max(...shardSeconds);
  const projected = (n: number, s: number) => round((work1 * (n / rows) ** 2) / s + overhead * (n / rows));
  const result = {
    rows,
    unsharded_classify_seconds: round(unshardedS),
    sharded_classify_seconds: round(shardedS),
    sharded_over_unsharded: round(shardedS / unshardedS),
    shard_seconds: shardSeconds,
    merge_seconds: mergeSeconds,
    remote_served_bytes_per_shard: Math.round(served / 2),
    remote_taken_bytes_per_shard: Math.round(taken / 2),
    same_key: classifyOf(single)?.key === classifyOf(sharded)?.key,
    projected_seconds: {
      "1M_on_8": projected(1e6, 8),
      "1M_on_32": projected(1e6, 32),
      "3M_on_8": projected(3e6, 8),
      "3M_on_32": projected(3e6, 32),
    },
    ok: single.code === 0 && sharded.code === 0 && shardSeconds.length === 2,
  };
  writeFileSync(values.out!, JSON.stringify(result, null, 2));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  for (const w of workers) w.kill("SIGTERM");
  await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once("exit", r)))));
  await redis.stop();
  await nginx.stop();
}
