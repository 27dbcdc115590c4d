import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { EXIT, UsageError } from "../../../src/core/errors.ts";
import { parseStreamFlags, STREAM_HELP, streamCommand } from "../../../src/cli/commands/stream.ts";
import { describeNumberRule, PUBLISH_FLAGS, streamOptions } from "../../../src/cli/commands/stream-options.ts";
import type { StreamSource } from "../../../src/publish/stream-source.ts";
import publishStage from "../../../stages/publish.ts";
import type { CliIO } from "../../../src/cli/io.ts";
import { PublishError } from "../../../src/publish/errors.ts";
import { packageRoot } from "../../../src/core/paths.ts";
import { removeTestProjects, testProject } from "../../helpers/cli.ts";
import { startSink, type Sink } from "../../helpers/loopback-sink.ts";
import { makeFit, SAMPLE_METRICS } from "./fit-fixture.ts";

const fit = makeFit(100);
let sink: Sink | undefined;

const SHIPPED_YAML = readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8");

/** The shipped pipeline.yaml (it declares where the fit and its metrics are written) and those two files. */
function project(): string {
  return testProject({
    "pipeline.yaml": SHIPPED_YAML,
    "data/processed/knn_v1.parquet": fit.bytes,
    "data/processed/metrics_v1.json": JSON.stringify(SAMPLE_METRICS),
  });
}

function cliIO(dir: string): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    cwd: dir,
    projectDir: dir,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    isTTY: false,
    signal: new AbortController().signal,
    out,
    err,
  };
}

afterEach(async () => {
  await sink?.close();
  sink = undefined;
});
afterAll(() => removeTestProjects());

const SOURCE: StreamSource = {
  publish: undefined,
  files: { fit: { path: "/p/fit.parquet", display: "fit.parquet" }, metrics: { path: "/p/metrics.json", display: "metrics.json" } },
};
const options = (argv: string[], source: StreamSource | undefined = SOURCE) =>
  streamOptions(parseStreamFlags(argv), { cwd: "/p", projectDir: "/p" }, source);

describe("stream's delivery settings are the publish stage's params", () => {
  it("has a flag for every publish param but dry_run, defaulting to the publish schema's value", () => {
    const params = Object.keys(publishStage.params.shape).filter((p) => p !== "dry_run");
    expect(Object.values(PUBLISH_FLAGS).sort()).toEqual(params.sort());
    const schema = publishStage.params.parse({});
    expect(options([])).toMatchObject({
      url: schema.url,
      maxPoints: schema.max_points,
      burst: schema.burst,
      rateHz: schema.rate_hz,
      timeoutMs: schema.timeout_ms,
      retries: schema.retries,
      backoff: { baseMs: schema.backoff_ms },
      deadlineS: schema.deadline_s,
    });
    for (const [flag, param] of Object.entries(PUBLISH_FLAGS)) {
      const value = String(schema[param]).replace(/\./g, "\\.");
      expect(STREAM_HELP, flag).toMatch(new RegExp(`--${flag} .*(?:\\n {24}.*)?\\(default ${value}\\)`));
    }
  });

  it("takes pipeline.yaml's publish params over the schema's, and a flag over both", () => {
    const yaml = { ...publishStage.params.parse({}), url: "http://127.0.0.1:9999/events", burst: 7, backoff_ms: 250 };
    const source: StreamSource = { ...SOURCE, publish: { stage: "dashboard", params: yaml } };
    expect(options([], source)).toMatchObject({ url: "http://127.0.0.1:9999/events", burst: 7, backoff: { baseMs: 250, maxMs: 5000 } });
    expect(options(["--burst", "9"], source)).toMatchObject({ burst: 9, url: "http://127.0.0.1:9999/events" });
  });

  it("checks a flag by the publish param's own zod field, and says its rule", () => {
    // the schema's max
    expect(() => options(["--burst", "1001"])).toThrow('stream: --burst expects an integer >= 1 and <= 1000, got "1001"');
    expect(() => options(["--retries", "21"])).toThrow('stream: --retries expects an integer >= 0 and <= 20, got "21"');
    expect(() => options(["--max-points", "1.5"])).toThrow('stream: --max-points expects an integer >= 0, got "1.5"');
    expect(() => options(["--url", "ftp://x/publish"])).toThrow("stream: --url must use http or https, got ftp:");
    expect(() => options(["--url", "not a url"])).toThrow('stream: --url expects an http(s) URL, got "not a url"');
    expect(describeNumberRule(publishStage.params.shape.deadline_s)).toBe("a number > 0");
  });
});

describe("pipeline stream --deadline-s", () => {
  it("defaults to 60 s, is documented in the help, and must be above 0", () => {
    expect(options([])).toMatchObject({ deadlineS: 60 });
    expect(options(["--deadline-s", "0.25"])).toMatchObject({ deadlineS: 0.25 });
    expect(STREAM_HELP).toMatch(/--deadline-s S +each cycle ends after S seconds.*\n.*\(default 60\)/);
    for (const bad of ["0", "-1", "soon"]) {
      expect(() => options(["--deadline-s", bad]), bad).toThrow(UsageError);
    }
    expect(() => options(["--deadline-s", "0"])).toThrow('stream: --deadline-s expects a number > 0, got "0"');
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
    expect((error as PublishError).message).toBe(
      `2 of 102 events were not delivered to ${sink.url}: publish deadline of 2 s passed (100 delivered)`,
    );
  }, 30_000);
});
