import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSigningKeyPair } from "../../src/cache/signing.ts";
import { packageRoot } from "../../src/core/paths.ts";
import { finish, removeTestProjects, runCli, stagesWith, startCli, testProject, type CliResult } from "../helpers/cli.ts";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.ts";
import { startNginx, type Nginx } from "../helpers/nginx.ts";

afterAll(removeTestProjects);

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const ALL = ["load", "standardize", "classify", "cluster", "evaluate", "project", "write-fit"];
const READ = "laptop-read-token";
const WRITE = "ci-write-token";

/** A writer's key pair: the private key file (0600) CI holds, and the public key readers trust. */
function signingKey(): { file: string; publicKey: string } {
  const { privateKeyPem, publicKey } = createSigningKeyPair();
  const file = join(mkdtempSync(join(tmpdir(), "signing-")), "ci.key");
  writeFileSync(file, privateKeyPem, { mode: 0o600 });
  return { file, publicKey };
}

/** The shipped pipeline.yaml trusting `publicKey`, on small demo data (3000 x 40). */
async function demoClone(publicKey: string, timeoutMs = 5000): Promise<string> {
  const yaml =
    readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8") +
    `cache:\n  remote:\n    trust: ["${publicKey}"]\n    timeout_ms: ${timeoutMs}\n`;
  const dir = testProject({ "pipeline.yaml": yaml });
  expect((await runCli(dir, ["demo-data", "--rows", "3000", "--features", "40"])).code).toBe(0);
  return dir;
}

type RemoteSummary = { hits: number; misses: number; downloaded_bytes: number; uploaded_bytes: number; errors: number };
const remoteOf = (run: CliResult) => (run.json as unknown as { remote: RemoteSummary }).remote;
const fromOf = (run: CliResult, stage: string) => (run.json!.stages.find((s) => s.name === stage) as { from?: string }).from;

describe("a remote cache shared by CI and a laptop (real nginx)", () => {
  let nginx: Nginx;
  let key: { file: string; publicKey: string };
  let ci: string;
  let ciRun: CliResult;
  const writer = () => ({
    PIPELINE_REMOTE_CACHE: nginx.url,
    PIPELINE_REMOTE_CACHE_MODE: "readwrite",
    PIPELINE_REMOTE_CACHE_TOKEN: WRITE,
    PIPELINE_CACHE_SIGNING_KEY: key.file,
    PIPELINE_CI_JOB: "ci job 42",
  });
  const reader = (url = nginx.url) => ({
    PIPELINE_REMOTE_CACHE: url,
    PIPELINE_REMOTE_CACHE_MODE: "read",
    PIPELINE_REMOTE_CACHE_TOKEN: READ,
  });
  const objectsOf = (dir: string, stage: string, run: CliResult) => {
    const k = run.json!.stages.find((s) => s.name === stage)!.key!;
    return JSON.parse(readFileSync(join(dir, "cache/entries", stage, `${k}.json`), "utf8")).outputs as Record<
      string,
      { hash: string; size: number; kind: string }
    >;
  };

  beforeAll(async () => {
    nginx = await startNginx({ auth: { readToken: READ, writeToken: WRITE } });
    key = signingKey();
    ci = await demoClone(key.publicKey);
    ciRun = await runCli(ci, ["run", "--json"], writer());
    expect(ciRun.code, ciRun.stderr).toBe(0);
    expect(stagesWith(ciRun, "ran")).toEqual(ALL);
    expect(remoteOf(ciRun).uploaded_bytes).toBeGreaterThan(0);
    expect(remoteOf(ciRun).errors).toBe(0);
  });
  afterAll(async () => nginx?.stop());

  it("a fresh clone runs nothing and downloads only the declared outputs (and small json), byte-identical", async () => {
    const laptop = await demoClone(key.publicKey);
    const putsBefore = nginx.accessLog().filter((l) => l.method === "PUT").length;
    const run = await runCli(laptop, ["run", "--json"], reader());
    expect(run.code, run.stderr).toBe(0);
    expect(stagesWith(run, "ran")).toEqual([]);
    expect(stagesWith(run, "cached")).toEqual(ALL);
    for (const stage of ALL) expect(fromOf(run, stage)).toBe("remote");
    expect(sha(join(laptop, "data/processed/knn_v1.parquet"))).toBe(sha(join(ci, "data/processed/knn_v1.parquet")));
    expect(readFileSync(join(laptop, "data/processed/metrics_v1.json"), "utf8")).toBe(
      readFileSync(join(ci, "data/processed/metrics_v1.json"), "utf8"),
    );
    // build without the bytes: no matrix or table travelled
    const big = ALL.flatMap((s) => Object.values(objectsOf(ci, s, ciRun))).filter((r) => r.kind === "matrix" || r.kind === "table");
    const fetched = new Set(
      nginx
        .accessLog()
        .filter((l) => l.method === "GET" && l.path.includes("/cas/"))
        .map((l) => l.path.split("/").at(-1)),
    );
    expect(big.filter((r) => fetched.has(r.hash))).toEqual([]);
    const stored = ALL.flatMap((s) => Object.values(objectsOf(ci, s, ciRun))).reduce((n, r) => n + r.size, 0);
    expect(remoteOf(run).downloaded_bytes).toBeLessThan(stored * 0.1);
    expect(nginx.accessLog().filter((l) => l.method === "PUT").length).toBe(putsBefore); // read mode never PUTs

    const again = await runCli(laptop, ["run", "--json"], reader());
    expect(stagesWith(again, "cached")).toEqual(ALL);
    expect(fromOf(again, "write-fit")).toBe("local"); // its objects are local now, so is its entry
    const explain = await runCli(laptop, ["explain", "write-fit"], reader());
    expect(explain.stdout).toMatch(/entry: downloaded from the remote cache, signed by ed25519:.*; produced by run \S+ \(ci job 42\)/);
    expect((await runCli(laptop, ["explain", "cluster"], reader())).stdout).toContain(
      `entry: on the remote cache ${nginx.url} (not downloaded yet)`,
    );
    for (const secret of [WRITE, READ])
      expect(readFileSync(join(laptop, "cache/runs", readdirSync(join(laptop, "cache/runs"))[0]!), "utf8")).not.toContain(secret);
  });

  it("a corrupted object on the server is detected, recomputed here, and the output is identical", async () => {
    const fit = objectsOf(ci, "write-fit", ciRun).fit!;
    const onServer = join(nginx.root, "cas", fit.hash);
    const good = readFileSync(onServer);
    const bad = Buffer.from(good);
    bad[200] = bad[200]! ^ 0xff;
    writeFileSync(onServer, bad);
    try {
      const laptop = await demoClone(key.publicKey);
      const run = await runCli(laptop, ["run", "--json"], reader());
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/does not match its hash; it was not used/);
      expect(stagesWith(run, "ran")).toEqual(["write-fit"]);
      expect(sha(join(laptop, "data/processed/knn_v1.parquet"))).toBe(fit.hash);
    } finally {
      writeFileSync(onServer, good);
    }
  });

  it("an entry rewritten on the server to point at another valid object is rejected by its signature", async () => {
    const evaluateKey = ciRun.json!.stages.find((s) => s.name === "evaluate")!.key!;
    const onServer = join(nginx.root, "ac", evaluateKey);
    const good = readFileSync(onServer, "utf8");
    const entry = JSON.parse(good);
    entry.outputs.metrics = { ...objectsOf(ci, "cluster", ciRun).info };
    writeFileSync(onServer, JSON.stringify(entry));
    try {
      const laptop = await demoClone(key.publicKey);
      const run = await runCli(laptop, ["run", "--json"], reader());
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/remote cache entry for evaluate \([0-9a-f]{12}\) is not accepted: bad signature/);
      expect(stagesWith(run, "ran")).toEqual(["evaluate"]);
      expect(JSON.parse(readFileSync(join(laptop, "data/processed/metrics_v1.json"), "utf8")).macro_f1).toBe(
        JSON.parse(readFileSync(join(ci, "data/processed/metrics_v1.json"), "utf8")).macro_f1,
      );
    } finally {
      writeFileSync(onServer, good);
    }
  });

  it("entries signed by a key the project does not trust are misses, with one warning", async () => {
    const laptop = await demoClone(signingKey().publicKey);
    const run = await runCli(laptop, ["run", "--json"], reader());
    expect(run.code, run.stderr).toBe(0);
    expect(stagesWith(run, "ran")).toEqual(ALL);
    expect(run.stderr.match(/signed by an untrusted key/g)).toHaveLength(1);
  });

  it("a 401/403 on upload (read-only credentials in readwrite mode) leaves the run green and says so", async () => {
    const laptop = await demoClone(key.publicKey);
    const run = await runCli(laptop, ["run", "--json", "--force", "write-fit", "--set", "cluster.k=5"], {
      ...writer(),
      PIPELINE_REMOTE_CACHE_TOKEN: READ,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/refused an upload \(.*HTTP 403.*\); uploads are off for this run/);
    expect(remoteOf(run).errors).toBeGreaterThan(0);
    expect(remoteOf(run).uploaded_bytes).toBe(0);
  });

  it("cache status says where each stage's entry is; pull makes them local without running anything", async () => {
    const laptop = await demoClone(key.publicKey);
    const status = await runCli(laptop, ["cache", "status", "--json"], reader());
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout.trim());
    expect(report.remote).toEqual({ url: nginx.url, mode: "read", reachable: true });
    expect(report.stages.filter((s: { where: string }) => s.where === "remote").map((s: { name: string }) => s.name)).toEqual(ALL);
    expect(status.stdout).not.toContain(READ); // credentials are never printed

    const pull = await runCli(laptop, ["cache", "pull"], reader());
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stdout).toContain(`pulled ${ALL.length} stages`);
    const run = await runCli(laptop, ["run", "--json"]);
    expect(stagesWith(run, "cached")).toEqual(ALL); // no remote configured now: all local
    expect(sha(join(laptop, "data/processed/knn_v1.parquet"))).toBe(sha(join(ci, "data/processed/knn_v1.parquet")));
  });
});

describe("pipeline cache keygen", () => {
  it("writes an owner-only private key, prints the public key to trust, and never overwrites", async () => {
    const dir = testProject({});
    const made = await runCli(dir, ["cache", "keygen", "--out", join(dir, "ci.key")]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/ed25519:[A-Za-z0-9+/]{43}=/);
    expect(statSync(join(dir, "ci.key")).mode & 0o777).toBe(0o600);
    const again = await runCli(dir, ["cache", "keygen", "--out", join(dir, "ci.key")]);
    expect(again.code).toBe(3);
  });
});

describe("a remote that is down, stalled or failing never fails a run", () => {
  let nginx: Nginx;
  let proxy: FaultProxy;
  let key: { file: string; publicKey: string };
  beforeAll(async () => {
    nginx = await startNginx();
    proxy = await startFaultProxy(nginx.url);
    key = signingKey();
  });
  afterAll(async () => {
    await proxy?.close();
    await nginx?.stop();
  });

  const toy = (publicKey: string) =>
    testProject({
      "pipeline.yaml": [
        "version: 1",
        "plugins: [toy.mjs]",
        "stages:",
        "  read: { uses: toy-read, inputs: { text: numbers.txt } }",
        "  big: { uses: toy-big, params: { rows: 200 }, inputs: { numbers: read.numbers } }",
        "  sum: { uses: toy-sum, inputs: { numbers: read.numbers } }",
        "  mean: { uses: toy-mean, inputs: { grid: big.grid, total: sum.total }, outputs: { report: out/report.txt } }",
        "cache:",
        "  remote:",
        `    trust: ["${publicKey}"]`,
        "    timeout_ms: 400",
        "",
      ].join("\n"),
      "toy.mjs": readFileSync(new URL("../fixtures/engine/toy-stages.mjs", import.meta.url), "utf8"),
      "numbers.txt": "1\n2\n3\n",
    });

  for (const mode of ["503", "stall", "reset"] as const) {
    it(`${mode}: the run succeeds locally, in bounded time, and the remote is switched off after 3 failures`, async () => {
      proxy.mode(mode);
      const dir = toy(key.publicKey);
      const run = await runCli(dir, ["run", "--json"], { PIPELINE_REMOTE_CACHE: proxy.url, PIPELINE_REMOTE_CACHE_MODE: "read" });
      proxy.mode("pass");
      expect(run.code, run.stderr).toBe(0);
      expect(stagesWith(run, "ran")).toEqual(["read", "big", "sum", "mean"]);
      expect(remoteOf(run).errors).toBeGreaterThanOrEqual(1);
      expect(run.stderr.match(/switched off for the rest of this run after 3 failures in a row/g)).toHaveLength(1);
      expect(readFileSync(join(dir, "out/report.txt"), "utf8")).toMatch(/ sum 6\n$/);
    });
  }

  it("bodies corrupted in transit are detected, never used, and the output is what a local run gives", async () => {
    const writerEnv = { PIPELINE_REMOTE_CACHE: nginx.url, PIPELINE_REMOTE_CACHE_MODE: "readwrite", PIPELINE_CACHE_SIGNING_KEY: key.file };
    const ci = toy(key.publicKey);
    expect((await runCli(ci, ["run"], writerEnv)).code).toBe(0);
    proxy.mode("corrupt-body", { path: /\/cas\// });
    const laptop = toy(key.publicKey);
    const run = await runCli(laptop, ["run", "--json"], { PIPELINE_REMOTE_CACHE: proxy.url, PIPELINE_REMOTE_CACHE_MODE: "read" });
    proxy.mode("pass");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/does not match its hash; it was not used/);
    expect(proxy.requests.some((r) => r.action === "corrupt-body")).toBe(true);
    expect(stagesWith(run, "ran")).toContain("mean");
    expect(readFileSync(join(laptop, "out/report.txt"), "utf8")).toBe(readFileSync(join(ci, "out/report.txt"), "utf8"));
  });

  it("nothing listening at all: the run succeeds, the remote costs one warning", async () => {
    const dir = toy(key.publicKey);
    const run = await runCli(dir, ["run", "--json"], {
      PIPELINE_REMOTE_CACHE: "http://127.0.0.1:9/cache",
      PIPELINE_REMOTE_CACHE_MODE: "read",
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/switched off for the rest of this run after 3 failures in a row \(last: connection refused\)/);
  });

  it("a writer killed mid-upload leaves no partial object on the server, and the next run is fine", async () => {
    const dir = testProject({
      "pipeline.yaml": [
        "version: 1",
        "plugins: [toy.mjs]",
        "stages:",
        "  read: { uses: toy-read, inputs: { text: numbers.txt } }",
        "  big: { uses: toy-big, params: { rows: 300000 }, inputs: { numbers: read.numbers } }",
        "cache:",
        "  remote:",
        `    trust: ["${key.publicKey}"]`,
        "",
      ].join("\n"),
      "toy.mjs": readFileSync(new URL("../fixtures/engine/toy-stages.mjs", import.meta.url), "utf8"),
      "numbers.txt": "1\n2\n3\n",
    });
    const env = { PIPELINE_REMOTE_CACHE: nginx.url, PIPELINE_REMOTE_CACHE_MODE: "readwrite", PIPELINE_CACHE_SIGNING_KEY: key.file };
    const child = startCli(dir, ["run"], env);
    const done = finish(child);
    const deadline = Date.now() + 60_000;
    while (readdirSync(nginx.bodyTempDir).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    const uploading = readdirSync(nginx.bodyTempDir).length > 0;
    child.kill("SIGKILL");
    await done;
    expect(uploading).toBe(true); // it was killed in the middle of a PUT
    for (const name of existsSync(join(nginx.root, "cas")) ? readdirSync(join(nginx.root, "cas")) : []) {
      expect(sha(join(nginx.root, "cas", name))).toBe(name); // only whole objects are visible
    }
    const next = await runCli(dir, ["run", "--json"], env);
    expect(next.code, next.stderr).toBe(0);
    expect(remoteOf(next).errors).toBe(0);
    const push = await runCli(dir, ["cache", "push"], env);
    expect(push.code, push.stderr).toBe(0);
    const grid = JSON.parse(readFileSync(join(dir, "cache/entries/big", readdirSync(join(dir, "cache/entries/big"))[0]!), "utf8")).outputs
      .grid;
    expect(sha(join(nginx.root, "cas", grid.hash))).toBe(grid.hash); // pushed whole afterwards
  });
});
