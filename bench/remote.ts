/**
 * The remote cache on the 150k demo, against a real nginx on 127.0.0.1 (Debian's, WebDAV):
 *
 *   cold      a cold run, no remote (the baseline every ratio divides by)
 *   push      `pipeline cache push` of that run's results (signed), as CI would after its run
 *   fresh     a fresh clone (same inputs, empty cache) with a warm remote: `pipeline run`
 *   warm      warm no-op runs, no remote vs a configured remote nobody answers (median of 3)
 *
 *   node dist/bench/remote.js --data DIR --out FILE
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createSigningKeyPair } from "../src/cache/signing.ts";
import { packageRoot } from "../src/core/paths.ts";
import { startNginx } from "../test/helpers/nginx.ts";

const { values } = parseArgs({ options: { data: { type: "string" }, out: { type: "string" } } });
const root = packageRoot();
const bin = join(root, "dist", "src", "cli", "bin.js");
const work = join(root, ".bench", "remote");
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const { privateKeyPem, publicKey } = createSigningKeyPair();
const keyFile = join(work, "ci.key");
writeFileSync(keyFile, privateKeyPem, { mode: 0o600 });

/** A project over the demo inputs (copied, so the clones share nothing but the remote). */
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

function run(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): { seconds: number; code: number | null; json: Record<string, unknown> | undefined } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [bin, "-C", dir, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    env: { ...process.env, CI: "1", ...env },
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) process.stderr.write(result.stderr.slice(-3000));
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "");
  } catch {
    json = undefined;
  }
  return { seconds: round(seconds), code: result.status, json };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
function bytesUnder(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? bytesUnder(join(dir, e.name)) : statSync(join(dir, e.name)).size),
    0,
  );
}

const nginx = await startNginx();
try {
  const writer = { PIPELINE_REMOTE_CACHE: nginx.url, PIPELINE_REMOTE_CACHE_MODE: "readwrite", PIPELINE_CACHE_SIGNING_KEY: keyFile };
  const reader = { PIPELINE_REMOTE_CACHE: nginx.url, PIPELINE_REMOTE_CACHE_MODE: "read" };
  const ci = clone("ci");
  const cold = run(ci, ["run", "--json"], { PIPELINE_REMOTE_CACHE_MODE: "off" });
  const stored = bytesUnder(join(ci, "cache", "objects"));
  const push = run(ci, ["cache", "push"], writer);
  const laptop = clone("laptop");
  const fresh = run(laptop, ["run", "--json"], reader);
  const remote = (fresh.json?.remote ?? {}) as { downloaded_bytes?: number };
  const identical = sha(join(ci, "data/processed/knn_v1.parquet")) === sha(join(laptop, "data/processed/knn_v1.parquet"));
  const warm = median([0, 1, 2].map(() => run(ci, ["run", "--json"], { PIPELINE_REMOTE_CACHE_MODE: "off" }).seconds));
  const warmUnreachable = median(
    [0, 1, 2].map(
      () => run(ci, ["run", "--json"], { PIPELINE_REMOTE_CACHE: "http://127.0.0.1:9/cache", PIPELINE_REMOTE_CACHE_MODE: "read" }).seconds,
    ),
  );
  const result = {
    cold_seconds: cold.seconds,
    cold_stored_bytes: stored,
    push_seconds: push.seconds,
    push_over_cold: round(push.seconds / cold.seconds),
    fresh_clone_seconds: fresh.seconds,
    fresh_over_cold: round(fresh.seconds / cold.seconds),
    fresh_downloaded_bytes: remote.downloaded_bytes ?? null,
    fresh_downloaded_over_stored: remote.downloaded_bytes === undefined ? null : round(remote.downloaded_bytes / stored),
    fresh_fit_identical: identical,
    fresh_ran: ((fresh.json?.stages ?? []) as { status: string }[]).filter((s) => s.status === "ran").length,
    warm_seconds: warm,
    warm_unreachable_remote_seconds: warmUnreachable,
    unreachable_overhead_seconds: round(warmUnreachable - warm),
    ok: cold.code === 0 && push.code === 0 && fresh.code === 0,
  };
  writeFileSync(values.out!, JSON.stringify(result, null, 2));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await nginx.stop();
}
