import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { EXIT, InputError, UsageError } from "../../src/core/errors.ts";
import { packageRoot } from "../../src/core/paths.ts";
import { streamCommand } from "../../src/cli/commands/stream.ts";
import type { CliIO } from "../../src/cli/io.ts";
import { PublishError } from "../../src/publish/errors.ts";
import { publishEventSchema } from "../../src/publish/events.ts";
import { BIN, finish, startCli, testProject } from "../helpers/cli.ts";
import { makeFit, SAMPLE_METRICS } from "../unit/publish/fit-fixture.ts";
import { closedPortUrl, startSink, type Sink } from "../helpers/loopback-sink.ts";

const fit = makeFit(400);
const projects: string[] = [];
let sink: Sink | undefined;

const SHIPPED_YAML = readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8");

/** The shipped pipeline.yaml (where the fit and its metrics are written), those files, and `files`. */
function project(files: Record<string, string | Uint8Array> = {}): string {
  const dir = testProject({
    "pipeline.yaml": SHIPPED_YAML,
    "data/processed/knn_v1.parquet": fit.bytes,
    "data/processed/metrics_v1.json": JSON.stringify(SAMPLE_METRICS),
    ...files,
  });
  projects.push(dir);
  return dir;
}

function cliIO(dir: string, signal = new AbortController().signal): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { cwd: dir, projectDir: dir, stdout: (l) => out.push(l), stderr: (l) => err.push(l), isTTY: false, signal, out, err };
}

function typesOf(s: Sink, cycle: number): string[] {
  return s.accepted
    .filter((r) => new RegExp(`^stream-[0-9a-z]+-${cycle}-`).test(r.key ?? ""))
    .map((r) => (r.body as { type: string }).type);
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

afterEach(async () => {
  await sink?.close();
  sink = undefined;
});
afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

describe("pipeline stream (in process)", () => {
  it("loops: every cycle re-sends model_metric and model_perf, then the points; abort returns 0", async () => {
    sink = await startSink();
    const controller = new AbortController();
    const io = cliIO(project(), controller.signal);
    const done = streamCommand(["--url", sink.url, "--max-points", "100", "--loop", "--cycle-pause-s", "0.05"], io);
    await until(() => typesOf(sink!, 2).length === 102);
    controller.abort();

    expect(await done).toBe(0);
    for (const cycle of [1, 2]) {
      const types = typesOf(sink, cycle);
      expect(types.filter((t) => t === "embedding")).toHaveLength(100);
      expect(types.filter((t) => t === "model_metric")).toHaveLength(1);
      expect(types.filter((t) => t === "model_perf")).toHaveLength(1);
    }
    // each cycle sends the same seeded sample of points
    const points = (cycle: number): string[] =>
      sink!.accepted
        .filter((r) => new RegExp(`^stream-[0-9a-z]+-${cycle}-`).test(r.key ?? ""))
        .map((r) => JSON.stringify(r.body))
        .sort();
    expect(points(2)).toEqual(points(1));
    for (const request of sink.requests) expect(publishEventSchema.safeParse(request.body).success).toBe(true);
    expect(sink.inFlight()).toBe(0);
    expect(io.out.filter((l) => /^cycle \d+: published to /.test(l)).length).toBeGreaterThanOrEqual(2);
  });

  it("sends the model events before the points (burst 1 keeps the order) and stops after one cycle without --loop", async () => {
    sink = await startSink();
    const io = cliIO(project());
    expect(await streamCommand(["--url", sink.url, "--max-points", "3", "--burst", "1"], io)).toBe(0);
    expect(sink.requests.map((r) => (r.body as { type: string }).type)).toEqual([
      "model_metric",
      "model_perf",
      "embedding",
      "embedding",
      "embedding",
    ]);
  });

  it("--dry-run sends nothing and prints counts and the first events", async () => {
    sink = await startSink();
    const io = cliIO(project());
    expect(await streamCommand(["--url", sink.url, "--dry-run", "--loop"], io)).toBe(0);
    expect(sink.requests).toHaveLength(0);
    expect(io.out[0]).toBe(`dry run: would send 402 events to ${sink.url} (1 model_metric, 1 model_perf, 400 embedding); nothing sent`);
    expect(io.out.slice(2).map((l) => publishEventSchema.parse(JSON.parse(l)).type)).toEqual(["model_metric", "model_perf", "embedding"]);
  });

  it("resolves --fit against the current directory and finds the metrics file of the declared name next to it", async () => {
    sink = await startSink();
    const dir = project({
      "elsewhere/knn_v1.parquet": makeFit(7).bytes,
      "elsewhere/metrics_v1.json": JSON.stringify({ ...SAMPLE_METRICS, macro_f1: 0.5 }),
    });
    const io = { ...cliIO(dir), cwd: join(dir, "elsewhere") };
    expect(await streamCommand(["--fit", "knn_v1.parquet", "--url", sink.url], io)).toBe(0);
    expect(sink.requests).toHaveLength(9);
    expect(sink.requests.map((r) => r.body)).toContainEqual({ type: "model_metric", model: "knn", accuracy: 0.5 });
  });

  it("without --loop, undelivered events are a PublishError (exit 4)", async () => {
    const url = await closedPortUrl();
    const error = await streamCommand(["--url", url, "--retries", "0"], cliIO(project())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).exitCode).toBe(EXIT.publish);
    expect((error as PublishError).message).toBe(`402 of 402 events were not delivered to ${url}: connection refused`);
  });

  it("names a missing fit and its fix", async () => {
    const dir = testProject({ "pipeline.yaml": SHIPPED_YAML });
    projects.push(dir);
    const error = await streamCommand([], cliIO(dir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe("data/processed/knn_v1.parquet: not found");
    expect((error as InputError).hint).toMatch(/pipeline run/);
  });

  it("without a pipeline.yaml, asks for the files it would name", async () => {
    const dir = testProject({});
    projects.push(dir);
    const error = await streamCommand([], cliIO(dir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(`stream: no pipeline.yaml in ${dir} to find the fit to replay in`);
    expect((error as UsageError).hint).toBe("give --fit PATH and --metrics PATH, or run it in the project folder (-C DIR)");
    sink = await startSink();
    const given = project();
    const io = { ...cliIO(dir), cwd: given };
    const files = ["--fit", "data/processed/knn_v1.parquet", "--metrics", "data/processed/metrics_v1.json"];
    expect(await streamCommand([...files, "--url", sink.url], io)).toBe(0);
    expect(sink.requests).toHaveLength(402);
  });

  it.each([
    [["--burst", "0"], 'stream: --burst expects an integer >= 1 and <= 1000, got "0"'],
    [["--rate-hz", "fast"], 'stream: --rate-hz expects a number >= 0, got "fast"'],
    [["--url", "ftp://x/publish"], "stream: --url must use http or https, got ftp:"],
    [["--bogus"], "stream: Unknown option '--bogus'"],
    [["extra"], "stream: Unexpected argument 'extra'"],
  ])("rejects bad usage %j", async (argv, message) => {
    const error = await streamCommand(argv, cliIO(project())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toContain(message);
  });
});

describe.runIf(existsSync(BIN))("pipeline stream (built CLI)", () => {
  it("streams two cycles, then the first SIGTERM lets requests settle and exits 0", async () => {
    sink = await startSink(() => ({ delayMs: 5 }));
    const child = startCli(project(), ["stream", "--url", sink.url, "--max-points", "50", "--loop", "--cycle-pause-s", "0.1"]);
    const result = finish(child);
    await until(() => typesOf(sink!, 2).length === 52);
    child.kill("SIGTERM");
    const { code, stdout, stderr } = await result;

    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stdout).toMatch(/cycle 1: published to .*: sent 52, retried 0, failed 0 of 52 events/);
    expect(stdout).toMatch(/cycle 2: published to .*: sent 52, retried 0, failed 0 of 52 events/);
    expect(typesOf(sink, 1).filter((t) => t !== "embedding")).toEqual(["model_metric", "model_perf"]);
    expect(typesOf(sink, 2).filter((t) => t !== "embedding")).toEqual(["model_metric", "model_perf"]);
  });

  it("a second signal forces exit 130", async () => {
    sink = await startSink(() => ({ hang: true }));
    const child = startCli(project(), ["stream", "--url", sink.url, "--timeout-ms", "60000"]);
    const result = finish(child);
    await until(() => sink!.requests.length > 0);
    child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill("SIGTERM");
    expect((await result).code).toBe(EXIT.interrupted);
  });
});
