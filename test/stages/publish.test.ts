import { afterEach, describe, expect, it } from "vitest";
import { CancelledError, EXIT } from "../../src/core/errors.ts";
import { createRng } from "../../src/core/rng.ts";
import { PublishError } from "../../src/publish/errors.ts";
import { buildEmbeddingEvents, publishEventSchema } from "../../src/publish/events.ts";
import { readFit } from "../../src/publish/inputs.ts";
import publish from "../../stages/publish.ts";
import { stageContext } from "../helpers/stage-context.ts";
import { makeFit, SAMPLE_METRICS } from "../unit/publish/fit-fixture.ts";
import { closedPortUrl, startSink, type Sink } from "../helpers/loopback-sink.ts";

const fit = makeFit(3000);

function runPublish(params: Record<string, unknown>, seed = 11) {
  const parsed = publish.params.parse({ timeout_ms: 15_000, backoff_ms: 10, ...params });
  const ctx = stageContext(parsed, { fit: fit.bytes, metrics: SAMPLE_METRICS }, seed);
  return { ctx, result: Promise.resolve(publish.run(ctx)) };
}

let sink: Sink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe("publish stage", () => {
  it("is an effect with documented, strict params", () => {
    expect(publish.effect).toBe(true);
    expect(publish.params.parse({})).toEqual({
      url: "http://127.0.0.1:8447/publish",
      max_points: 2000,
      rate_hz: 2000,
      burst: 50,
      timeout_ms: 5000,
      retries: 3,
      backoff_ms: 100,
      deadline_s: 60,
      dry_run: false,
    });
    expect(publish.params.safeParse({ deadline_s: 0 }).success).toBe(false);
    expect(publish.params.safeParse({ deadline_s: -1 }).success).toBe(false);
    expect(publish.params.safeParse({ max_point: 10 }).success).toBe(false);
    expect(publish.params.safeParse({ url: "ftp://example/x" }).success).toBe(false);
    for (const [name, field] of Object.entries(publish.params.shape)) expect(field.description, name).toBeTruthy();
  });

  it("sends max_points seeded-sampled points, then model_metric and model_perf", async () => {
    sink = await startSink();
    const { ctx, result } = runPublish({ url: sink.url, max_points: 500, rate_hz: 0 });
    const { receipt } = await result;

    expect(receipt).toMatchObject({ url: sink.url, events: 502, attempted: 502, sent: 502, retried: 0, failed: 0, dry_run: false });
    expect(receipt).toMatchObject({ by_type: { embedding: 500, model_metric: 1, model_perf: 1 } });
    const bodies = sink.requests.map((r) => r.body);
    expect(bodies).toHaveLength(502);
    for (const body of bodies) expect(publishEventSchema.parse(body)).toEqual(body);

    // the points are the rows the stage's seeded rng picks, nothing else
    const expected = buildEmbeddingEvents(readFit(fit.bytes, "fit").table, createRng(11).sample(3000, 500));
    const sent = bodies.filter((b) => (b as { type: string }).type === "embedding");
    expect(sent.map((b) => JSON.stringify(b)).sort()).toEqual(expected.map((e) => JSON.stringify(e)).sort());
    // phase 5 (failed) rows went out as clean; every dashboard phase occurs
    expect(new Set(sent.map((b) => (b as { phase: string }).phase))).toEqual(
      new Set(["clean", "armed", "infecting", "infected_running", "dormant"]),
    );
    expect(bodies.find((b) => (b as { type: string }).type === "model_perf")).toEqual({
      type: "model_perf",
      model: "knn",
      latency_us: 3410,
      accuracy: 0.762,
    });
    expect(ctx.logs.at(-1)).toMatch(/^published to .*: sent 502, retried 0, failed 0 of 502 events/);
  });

  it("sends the points first and the model events last (burst 1 keeps the order)", async () => {
    sink = await startSink();
    await runPublish({ url: sink.url, max_points: 5, burst: 1 }).result;
    expect(sink.requests.map((r) => (r.body as { type: string }).type)).toEqual([
      "embedding",
      "embedding",
      "embedding",
      "embedding",
      "embedding",
      "model_metric",
      "model_perf",
    ]);
  });

  it("stops when cancelled, after the requests in flight settle", async () => {
    sink = await startSink(() => ({ delayMs: 20 }));
    const controller = new AbortController();
    const parsed = publish.params.parse({ url: sink.url, burst: 4, rate_hz: 0 });
    const ctx = { ...stageContext(parsed, { fit: fit.bytes, metrics: SAMPLE_METRICS }, 11), signal: controller.signal };
    const result = Promise.resolve(publish.run(ctx));
    while (sink.accepted.length < 10) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await expect(result).rejects.toBeInstanceOf(CancelledError);
    expect(sink.inFlight()).toBe(0);
    expect(sink.requests.length).toBeLessThan(2002);
  });

  it("sends every row when max_points is 0", async () => {
    sink = await startSink();
    const { result } = runPublish({ url: sink.url, max_points: 0, rate_hz: 0 });
    expect((await result).receipt).toMatchObject({ sent: 3002, failed: 0 });
    expect(sink.requests).toHaveLength(3002);
  });

  it("sends nothing on a dry run and logs the counts and the first events", async () => {
    sink = await startSink();
    const { ctx, result } = runPublish({ url: sink.url, dry_run: true });
    const { receipt } = await result;

    expect(sink.requests).toHaveLength(0);
    expect(receipt).toMatchObject({ events: 2002, attempted: 0, sent: 0, dry_run: true });
    expect(ctx.logs[0]).toBe(`dry run: would send 2002 events to ${sink.url} (2000 embedding, 1 model_metric, 1 model_perf); nothing sent`);
    const firstEvents = ctx.logs.slice(2).map((line) => publishEventSchema.parse(JSON.parse(line)));
    expect(firstEvents).toHaveLength(3);
  });

  it("fails with exit code 4 naming the undelivered count when the dashboard is down", async () => {
    const url = await closedPortUrl();
    const { result } = runPublish({ url, retries: 1 });
    const error = await result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).exitCode).toBe(EXIT.publish);
    expect((error as PublishError).code).toBe("E_PUBLISH_FAILED");
    expect((error as PublishError).message).toBe(`2002 of 2002 events were not delivered to ${url}: connection refused`);
    expect((error as PublishError).hint).toBe(
      `check that the dashboard is listening at ${url}, then publish again (\`pipeline run publish\`)`,
    );
  });

  it("ends at deadline_s against a dashboard that accepts and never answers (exit 4, every event named)", async () => {
    sink = await startSink(() => ({ hang: true }));
    const started = performance.now();
    // default burst and retries; the per-request timeout (15 s here) never fires
    const error = await runPublish({ url: sink.url, deadline_s: 0.5 }).result.catch((e: unknown) => e);

    expect(performance.now() - started).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).exitCode).toBe(EXIT.publish);
    expect((error as PublishError).message).toBe(`2002 of 2002 events were not delivered to ${sink.url}: publish deadline of 0.5 s passed`);
    expect((error as PublishError).hint).toContain("--set publish.deadline_s=1");
    expect((error as PublishError).hint).toContain("`pipeline run publish`");
    // at most one burst went out (a loaded machine may not have sent all 50 by 0.5 s), and hung
    expect(sink.requests.length).toBeGreaterThan(0);
    expect(sink.requests.length).toBeLessThanOrEqual(50);
  }, 30_000);

  it("names how many events were delivered when the deadline cut the rest off", async () => {
    sink = await startSink((request) => (request.index < 100 ? {} : { hang: true }));
    const { result } = runPublish({ url: sink.url, rate_hz: 0, deadline_s: 2 });
    await expect(result).rejects.toThrow(
      `1902 of 2002 events were not delivered to ${sink.url}: publish deadline of 2 s passed (100 delivered)`,
    );
    expect(sink.accepted).toHaveLength(100);
  }, 30_000);

  it("does not obey a Retry-After: 3600 past deadline_s", async () => {
    sink = await startSink(() => ({ status: 503, headers: { "retry-after": "3600" } }));
    const started = performance.now();
    const { result } = runPublish({ url: sink.url, max_points: 8, deadline_s: 0.5 });
    await expect(result).rejects.toThrow(`10 of 10 events were not delivered to ${sink.url}: publish deadline of 0.5 s passed`);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(sink.requests.length).toBeLessThanOrEqual(10); // each tried at most once: no retry fitted before the deadline
  }, 30_000);

  it("fails with exit code 4 when the dashboard rejects some events (no retry on 4xx)", async () => {
    sink = await startSink((request) => ((request.body as { type: string }).type === "model_perf" ? { status: 422 } : {}));
    const { result } = runPublish({ url: sink.url, max_points: 50 });
    await expect(result).rejects.toThrow(`1 of 52 events were not delivered to ${sink.url}: HTTP 422`);
    expect(sink.requests).toHaveLength(52);
  });
});
