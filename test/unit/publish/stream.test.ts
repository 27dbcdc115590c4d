import { afterAll, afterEach, describe, expect, it } from "vitest";
import { EXIT, UsageError } from "../../../src/core/errors.ts";
import { parseStreamArgs, STREAM_HELP, streamCommand } from "../../../src/cli/commands/stream.ts";
import type { CliIO } from "../../../src/cli/io.ts";
import { PublishError } from "../../../src/publish/errors.ts";
import { removeTestProjects, testProject } from "../../helpers/cli.ts";
import { startSink, type Sink } from "../../helpers/loopback-sink.ts";
import { makeFit, SAMPLE_METRICS } from "./fit-fixture.ts";

const fit = makeFit(100);
let sink: Sink | undefined;

function project(): string {
  return testProject({ "data/processed/knn_v1.parquet": fit.bytes, "data/processed/metrics_v1.json": JSON.stringify(SAMPLE_METRICS) });
}

function cliIO(dir: string): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { cwd: dir, projectDir: dir, stdout: (l) => out.push(l), stderr: (l) => err.push(l), isTTY: false, signal: new AbortController().signal, out, err };
}

afterEach(async () => {
  await sink?.close();
  sink = undefined;
});
afterAll(() => removeTestProjects());

describe("pipeline stream --deadline-s", () => {
  it("defaults to 60 s, is documented in the help, and must be above 0", () => {
    const dir = "/nowhere";
    const options = parseStreamArgs([], { cwd: dir, projectDir: dir });
    expect(options).toMatchObject({ deadlineS: 60 });
    expect(parseStreamArgs(["--deadline-s", "0.25"], { cwd: dir, projectDir: dir })).toMatchObject({ deadlineS: 0.25 });
    expect(STREAM_HELP).toMatch(/--deadline-s S +each cycle ends after S seconds.*\n.*\(default 60\)/);
    for (const bad of ["0", "-1", "soon"]) {
      expect(() => parseStreamArgs(["--deadline-s", bad], { cwd: dir, projectDir: dir }), bad).toThrow(UsageError);
    }
    expect(() => parseStreamArgs(["--deadline-s", "0"], { cwd: dir, projectDir: dir })).toThrow('stream: --deadline-s expects a number > 0, got "0"');
  });

  it("ends a cycle at the deadline against a dashboard that accepts and never answers (exit 4)", async () => {
    sink = await startSink(() => ({ hang: true }));
    const io = cliIO(project());
    const started = performance.now();
    // without the deadline: 2 batches x 4 attempts x the 5 s request timeout
    const error = await streamCommand(["--url", sink.url, "--deadline-s", "0.4"], io).catch((e: unknown) => e);

    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).exitCode).toBe(EXIT.publish);
    expect((error as PublishError).message).toBe(`102 of 102 events were not delivered to ${sink.url}: publish deadline of 0.4 s passed`);
    expect((error as PublishError).hint).toContain("--deadline-s 0.8");
    // at most the first burst went out (a loaded machine may not have sent all 50 by 0.4 s), and hung
    expect(sink.requests.length).toBeGreaterThan(0);
    expect(sink.requests.length).toBeLessThanOrEqual(50);
    expect(io.out.at(-1)).toMatch(/^cycle 1: published to .*: sent 0, retried 0, failed 102 of 102 events .*, stopped at the deadline$/);
  }, 30_000);

  it("caps a Retry-After: 3600 by the cycle's deadline", async () => {
    sink = await startSink((request) => (request.index < 2 ? { status: 503, headers: { "retry-after": "3600" } } : {}));
    const started = performance.now();
    const error = await streamCommand(["--url", sink.url, "--burst", "4", "--deadline-s", "2"], cliIO(project())).catch((e: unknown) => e);

    expect(performance.now() - started).toBeLessThan(10_000);
    expect((error as PublishError).message).toBe(`2 of 102 events were not delivered to ${sink.url}: publish deadline of 2 s passed (100 delivered)`);
  }, 30_000);
});
