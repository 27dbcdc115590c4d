/**
 * Benchmark piece: 2000 embedding events (plus model_metric and model_perf) POSTed to a
 * loopback node:http server, burst 50, no rate cap. Goal: ≥ 5,000 events/s.
 *
 *   node dist/bench/publish.js --out FILE.json [--data DIR (ignored)] [--events N] [--runs R]
 *
 * The server runs in a worker thread so its parsing does not share the publisher's event loop,
 * as a real dashboard would not. It counts what it received, so a run that lost events shows.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { createRng } from "../src/core/rng.ts";
import { deliverEvents, formatDeliverySummary, type DeliveryReport } from "../src/publish/deliver.ts";
import type { PublishEvent } from "../src/publish/events.ts";

const SERVER_SOURCE = `
const { createServer } = require("node:http");
const { parentPort } = require("node:worker_threads");
let received = 0;
const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    JSON.parse(body);
    received++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true}');
  });
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
parentPort.on("message", (message) => {
  if (message === "count") parentPort.postMessage({ received });
  if (message === "reset") { received = 0; parentPort.postMessage({ reset: true }); }
});
`;

interface Server {
  readonly url: string;
  request<T>(message: string): Promise<T>;
  stop(): Promise<number>;
}

async function startServer(): Promise<Server> {
  const worker = new Worker(SERVER_SOURCE, { eval: true });
  const next = <T>(): Promise<T> => new Promise((resolve) => worker.once("message", resolve));
  const { port } = await next<{ port: number }>();
  return {
    url: `http://127.0.0.1:${port}/publish`,
    request: <T>(message: string) => {
      const reply = next<T>();
      worker.postMessage(message);
      return reply;
    },
    stop: () => worker.terminate(),
  };
}

function benchEvents(points: number): PublishEvent[] {
  const rng = createRng(0);
  const phases = ["clean", "armed", "infecting", "infected_running", "dormant"] as const;
  const events: PublishEvent[] = Array.from({ length: points }, () => ({
    type: "embedding",
    x: Math.fround(rng.next()),
    y: Math.fround(rng.next()),
    z: Math.fround(rng.next()),
    phase: phases[rng.int(5)]!,
    predicted: phases[rng.int(5)]!,
    cluster: rng.int(8),
  }));
  events.push({ type: "model_metric", model: "knn", accuracy: 0.762 });
  events.push({ type: "model_perf", model: "knn", latency_us: 3410, accuracy: 0.762 });
  return events;
}

async function timedRun(server: Server, events: readonly PublishEvent[]): Promise<{ report: DeliveryReport; received: number }> {
  await server.request("reset");
  const report = await deliverEvents(events, { url: server.url, burst: 50, rateHz: 0, timeoutMs: 5000, retries: 3, rng: createRng(1) });
  const { received } = await server.request<{ received: number }>("count");
  return { report, received };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: "string" }, data: { type: "string" }, events: { type: "string" }, runs: { type: "string" } },
  });
  const events = benchEvents(Number(values.events ?? 2000));
  const runs = Number(values.runs ?? 5);
  const server = await startServer();
  try {
    await timedRun(server, events); // warm-up: JIT, first connections
    const rates: number[] = [];
    let last: DeliveryReport | undefined;
    for (let r = 0; r < runs; r++) {
      const { report, received } = await timedRun(server, events);
      if (report.sent !== events.length || received !== events.length) {
        throw new Error(`run ${r}: sent ${report.sent}, server received ${received}, expected ${events.length}`);
      }
      rates.push((report.sent / report.ms) * 1000);
      last = report;
    }
    rates.sort((a, b) => a - b);
    const result = {
      bench: "publish",
      events: events.length,
      burst: 50,
      rate_hz: 0,
      runs,
      events_per_s_median: Math.round(rates[Math.floor(rates.length / 2)]!),
      events_per_s_min: Math.round(rates[0]!),
      events_per_s_max: Math.round(rates.at(-1)!),
      goal_events_per_s: 5000,
      last_summary: last ? formatDeliverySummary(last) : "",
    };
    if (values.out) await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result));
  } finally {
    await server.stop();
  }
}

await main();
