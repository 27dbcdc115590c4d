import { afterEach, describe, expect, it } from "vitest";
import { createRng } from "../../../src/core/rng.ts";
import { deliverEvents, formatDeliverySummary, type DeliveryOptions } from "../../../src/publish/deliver.ts";
import { publishEventSchema, type PublishEvent } from "../../../src/publish/events.ts";
import { closedPortUrl, startSink, type Sink, type SinkAnswer, type SinkRequest } from "../../helpers/loopback-sink.ts";

/** n distinct events: embeddings whose cluster is their index, then the two model events. */
function sampleEvents(n: number): PublishEvent[] {
  const events: PublishEvent[] = Array.from({ length: n }, (_, i) => ({
    type: "embedding",
    x: (i % 97) / 97,
    y: 0.5,
    z: 0.25,
    phase: "armed",
    predicted: "dormant",
    cluster: i,
  }));
  events.push({ type: "model_metric", model: "knn", accuracy: 0.8 });
  events.push({ type: "model_perf", model: "knn", latency_us: 3400, accuracy: 0.8 });
  return events;
}

function options(url: string, overrides: Partial<DeliveryOptions> = {}): DeliveryOptions {
  // a generous timeout: the test machine is shared and can stall for seconds
  return { url, burst: 50, rateHz: 0, timeoutMs: 15_000, retries: 3, rng: createRng(0), backoff: { baseMs: 20, maxMs: 200 }, ...overrides };
}

let sink: Sink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function serve(respond?: (request: SinkRequest) => SinkAnswer): Promise<Sink> {
  sink = await startSink(respond);
  return sink;
}

describe("deliverEvents against a loopback server", () => {
  it("delivers every event exactly once, each a valid wire event", async () => {
    const server = await serve();
    const events = sampleEvents(2000);
    const report = await deliverEvents(events, options(server.url));

    expect(report).toMatchObject({ total: 2002, attempted: 2002, sent: 2002, retried: 0, failed: 0, cancelled: false });
    expect(server.requests).toHaveLength(2002);
    for (const request of server.requests) {
      expect(publishEventSchema.safeParse(request.body).success).toBe(true);
      expect(request.contentType).toBe("application/json");
    }
    const received = server.requests.map((r) => JSON.stringify(r.body)).sort();
    expect(received).toEqual(events.map((e) => JSON.stringify(e)).sort());
    expect(formatDeliverySummary(report)).toMatch(
      /^published to http:\/\/127\.0\.0\.1:\d+\/publish: sent 2002, retried 0, failed 0 of 2002 events in \d+ ms/,
    );
  });

  it("retries the first 3 requests answered 503 and still delivers each event once", async () => {
    const server = await serve((request) => (request.index < 3 ? { status: 503 } : {}));
    const events = sampleEvents(300);
    const report = await deliverEvents(events, options(server.url));

    expect(report).toMatchObject({ sent: 302, retried: 3, failed: 0 });
    expect(server.requests).toHaveLength(305);
    const acceptedKeys = server.accepted.map((r) => r.key);
    expect(new Set(acceptedKeys).size).toBe(302);
    expect(server.accepted.map((r) => JSON.stringify(r.body)).sort()).toEqual(events.map((e) => JSON.stringify(e)).sort());
    // each rejected request was retried with the same idempotency key and body
    for (const rejected of server.requests.slice(0, 3)) {
      expect(server.accepted.filter((r) => r.key === rejected.key).map((r) => r.body)).toEqual([rejected.body]);
    }
  });

  it("waits as long as a 429's Retry-After asks before retrying", async () => {
    const server = await serve((request) => (request.index === 0 ? { status: 429, headers: { "retry-after": "1" } } : {}));
    const report = await deliverEvents(sampleEvents(0).slice(0, 1), options(server.url, { burst: 1 }));

    expect(report).toMatchObject({ sent: 1, retried: 1, failed: 0 });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it("does not retry other 4xx: each such event is tried once and counted failed", async () => {
    const server = await serve((request) => ((request.body as { cluster?: number }).cluster! % 10 === 0 ? { status: 400 } : {}));
    const report = await deliverEvents(sampleEvents(100), options(server.url));

    expect(report).toMatchObject({ total: 102, sent: 92, failed: 10, retried: 0, reasons: { "HTTP 400": 10 } });
    expect(server.requests).toHaveLength(102);
  });

  it("retries a request the server never answers, after the per-request timeout", async () => {
    const server = await serve((request) => (request.index === 0 ? { hang: true } : {}));
    const report = await deliverEvents(sampleEvents(0).slice(0, 1), options(server.url, { burst: 1, timeoutMs: 200 }));

    expect(report).toMatchObject({ sent: 1, retried: 1, failed: 0 });
    expect(server.accepted).toHaveLength(1);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(190);
  });

  it("counts an event failed when every attempt times out", async () => {
    const server = await serve(() => ({ hang: true }));
    const report = await deliverEvents(sampleEvents(0).slice(0, 1), options(server.url, { burst: 1, timeoutMs: 100, retries: 1 }));

    expect(report).toMatchObject({ sent: 0, retried: 1, failed: 1, reasons: { "no answer within 100 ms": 1 } });
    expect(server.requests).toHaveLength(2);
  });

  it("fails every event, quickly, when nothing listens", async () => {
    const url = await closedPortUrl();
    const report = await deliverEvents(sampleEvents(2000), options(url, { retries: 2 }));

    expect(report).toMatchObject({ total: 2002, sent: 0, failed: 2002, reasons: { "connection refused": 2002 } });
    // one event's retry budget proves the host down; the rest are not tried
    expect(report.attempted).toBeLessThanOrEqual(100);
  });

  it("keeps at most `burst` requests in flight against a slow server", async () => {
    const server = await serve(() => ({ delayMs: 40 }));
    const report = await deliverEvents(sampleEvents(120), options(server.url, { burst: 8 }));

    expect(report.sent).toBe(122);
    expect(server.maxInFlight()).toBeLessThanOrEqual(8);
    expect(server.maxInFlight()).toBeGreaterThan(1); // it did use concurrency
  });

  it("holds the rate cap, measured by the server", async () => {
    const server = await serve();
    const rateHz = 100;
    const burst = 10;
    const report = await deliverEvents(sampleEvents(148), options(server.url, { burst, rateHz }));

    expect(report.sent).toBe(150);
    const times = server.requests.map((r) => r.at);
    // a full bucket lets `burst` through at once, then 1 per 10 ms: ≥ 1.4 s for the other 140
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(((150 - burst) / rateHz) * 1000 * 0.9);
    // (no per-window check: the sink shares this event loop, so a stall on a loaded machine
    // would stamp queued requests together; the total duration is what a stall cannot fake)
  });

  it("ends at the deadline against a server that accepts and never answers: in-flight requests aborted, every event failed", async () => {
    const server = await serve(() => ({ hang: true }));
    const events = sampleEvents(4);
    // without a deadline this takes 3 batches x 2 attempts x 5 s
    const report = await deliverEvents(events, options(server.url, { burst: 2, timeoutMs: 5_000, retries: 1, deadlineMs: 300 }));

    expect(report).toMatchObject({ total: 6, attempted: 2, sent: 0, retried: 0, failed: 6, cancelled: false, deadlinePassed: true });
    expect(report.reasons).toEqual({ "publish deadline of 0.3 s passed": 6 });
    // the (at most) two hung requests were cut off: no request's own 5 s timeout had to fire
    expect(server.requests.length).toBeLessThanOrEqual(2);
    expect(report.ms).toBeGreaterThanOrEqual(290);
    expect(report.ms).toBeLessThan(5_000);
    expect(formatDeliverySummary(report)).toMatch(
      /sent 0, retried 0, failed 6 of 6 events in \d+ ms \(0 events\/s\), stopped at the deadline$/,
    );
  });

  it("caps a 503's Retry-After: 3600 by the deadline instead of waiting", async () => {
    const server = await serve(() => ({ status: 503, headers: { "retry-after": "3600" } }));
    const report = await deliverEvents(sampleEvents(1), options(server.url, { burst: 3, retries: 3, deadlineMs: 500 }));

    expect(report).toMatchObject({ total: 3, attempted: 3, sent: 0, retried: 0, failed: 3, deadlinePassed: true });
    expect(report.reasons).toEqual({ "publish deadline of 0.5 s passed": 3 });
    expect(server.requests).toHaveLength(3);
    // it waited for the deadline, not for the hour (nor the 60 s Retry-After cap)
    expect(report.ms).toBeGreaterThanOrEqual(490);
    expect(report.ms).toBeLessThan(10_000);
  }, 20_000);

  it("counts what was delivered before the deadline and fails only the rest", async () => {
    const server = await serve((request) => (request.index < 30 ? {} : { hang: true }));
    const report = await deliverEvents(sampleEvents(98), options(server.url, { burst: 10, deadlineMs: 2_000 }));

    expect(report).toMatchObject({ total: 100, sent: 30, failed: 70, deadlinePassed: true });
    expect(report.reasons).toEqual({ "publish deadline of 2 s passed": 70 });
    expect(server.accepted).toHaveLength(30);
    expect(report.attempted).toBe(40); // 30 answered, then 10 hung in flight: no further request started
  }, 20_000);

  it("caps the rate cap's wait by the deadline too", async () => {
    const server = await serve();
    // 1 event per second after the first: the second would go out after the deadline
    const report = await deliverEvents(sampleEvents(1), options(server.url, { burst: 1, rateHz: 1, deadlineMs: 400 }));

    expect(report).toMatchObject({ total: 3, sent: 1, failed: 2, attempted: 1, deadlinePassed: true });
    expect(report.reasons).toEqual({ "publish deadline of 0.4 s passed": 2 });
    expect(report.ms).toBeLessThan(1_000);
  });

  it("a deadline that does not pass changes nothing", async () => {
    const server = await serve((request) => (request.index < 3 ? { status: 503 } : {}));
    const report = await deliverEvents(sampleEvents(100), options(server.url, { deadlineMs: 60_000 }));

    expect(report).toMatchObject({ total: 102, sent: 102, retried: 3, failed: 0, deadlinePassed: false, reasons: {} });
  });

  it("cancelling before the deadline still lets the requests in flight settle and fails nothing", async () => {
    const server = await serve(() => ({ delayMs: 30 }));
    const controller = new AbortController();
    const done = deliverEvents(sampleEvents(1000), options(server.url, { burst: 5, signal: controller.signal, deadlineMs: 60_000 }));
    while (server.accepted.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const report = await done;

    expect(report).toMatchObject({ cancelled: true, failed: 0, deadlinePassed: false });
    expect(server.inFlight()).toBe(0);
    expect(server.accepted).toHaveLength(report.sent);
  });

  it("stops on abort after the requests in flight settle", async () => {
    const server = await serve(() => ({ delayMs: 30 }));
    const controller = new AbortController();
    const events = sampleEvents(1000);
    const done = deliverEvents(events, options(server.url, { burst: 5, signal: controller.signal }));
    while (server.accepted.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const report = await done;

    expect(report.cancelled).toBe(true);
    expect(report.failed).toBe(0);
    expect(report.sent).toBeLessThan(events.length);
    // every request the server saw was answered and counted: none was cut off mid-flight
    expect(server.inFlight()).toBe(0);
    expect(server.accepted).toHaveLength(report.sent);
    expect(server.requests).toHaveLength(report.attempted);
    expect(formatDeliverySummary(report)).toContain(`stopped early (${events.length - report.sent} not sent)`);
  });
});
