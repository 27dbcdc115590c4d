import { z } from "zod";
import { CancelledError } from "../src/core/errors.ts";
import { sha256 } from "../src/core/hash.ts";
import { defineStage, slot } from "../src/core/stage.ts";
import { PublishError } from "../src/publish/errors.ts";
import { buildEvents } from "../src/publish/events.ts";
import { backoffFrom } from "../src/publish/pacing.ts";
import { DEFAULT_PUBLISH_URL, describeDryRun, publishReceipt } from "../src/publish/report.ts";

/**
 * The seed's publish step: seeded-subsampled embedding events, then model_metric and
 * model_perf, POSTed to the dashboard (SPEC section 4). An effect: never cached, and never
 * run by a plain `pipeline run`, so the default run stays offline.
 */
export default defineStage({
  name: "publish",
  version: "1",
  summary: "send embedding, model_metric and model_perf events to the dashboard",
  effect: true,
  params: z.strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .default(DEFAULT_PUBLISH_URL)
      .describe("dashboard endpoint that receives one JSON event per POST"),
    max_points: z
      .number()
      .int()
      .min(0)
      .default(2000)
      .describe("embedding events to send, a seeded sample of the fit's rows; 0 = every row"),
    rate_hz: z.number().min(0).default(2000).describe("most events per second; 0 = no cap"),
    burst: z.number().int().min(1).max(1000).default(50).describe("most requests in flight at once (keep-alive connections)"),
    timeout_ms: z.number().int().min(1).default(5000).describe("per request: time allowed to connect and to get the answer"),
    retries: z.number().int().min(0).max(20).default(3).describe("further attempts per event after connection errors, 5xx or 429"),
    backoff_ms: z.number().min(0).default(100).describe("first retry waits about this long (jittered); each further retry doubles it"),
    deadline_s: z
      .number()
      .positive()
      .default(60)
      .describe("the whole publish ends after this many seconds: requests still in flight are aborted and undelivered events fail"),
    dry_run: z.boolean().default(false).describe("send nothing; log the counts and the first events instead"),
  }),
  inputs: {
    fit: slot.file("write-fit's knn_v1.parquet bytes"),
    metrics: slot.json("evaluate's metrics (macro_f1, latency.batch64_per_window_ms)"),
  },
  outputs: {
    receipt: slot.json("url, events, by_type, attempted, sent, retried, failed, dry_run, ms"),
  },
  async run({ params, inputs, rng, seed, signal, log, now }) {
    // NOTE: loaded here, not at the top: undici and parquet cost every CLI call ~0.2 s to import.
    // (".js": tsc does not rewrite the extension of an import() that leaves this folder)
    const { readFit, parseModelMetrics } = await import("../src/publish/inputs.js");
    const { deliverEvents, formatDeliverySummary } = await import("../src/publish/deliver.js");
    const { table, rows } = readFit(inputs.fit, "knn_v1.parquet (input fit)");
    const metrics = parseModelMetrics(inputs.metrics, "metrics (input metrics)");
    const selection = rng.sample(rows, params.max_points > 0 ? params.max_points : rows);
    const events = buildEvents(table, metrics, selection);
    if (params.dry_run) {
      for (const line of describeDryRun(events, params.url)) log(line);
      return { receipt: publishReceipt(params.url, events) };
    }
    const report = await deliverEvents(events, {
      url: params.url,
      burst: params.burst,
      rateHz: params.rate_hz,
      timeoutMs: params.timeout_ms,
      retries: params.retries,
      backoff: backoffFrom(params.backoff_ms),
      rng: rng.fork("retry-jitter"),
      signal,
      now,
      deadlineMs: params.deadline_s * 1000,
      // a refit must not look like a replay to a dashboard that deduplicates on this key
      idempotencyPrefix: `publish-${sha256(inputs.fit).slice(0, 12)}-${seed}-`,
    });
    log(formatDeliverySummary(report));
    if (report.cancelled) throw new CancelledError("publish");
    if (report.failed > 0) throw new PublishError(report, report.deadlinePassed ? deadlineHint(params.url, params.deadline_s) : undefined);
    return { receipt: publishReceipt(params.url, events, report) };
  },
});

function deadlineHint(url: string, deadlineS: number): string {
  return (
    `the dashboard at ${url} did not take every event within ${deadlineS} s; check it, or allow longer ` +
    `(\`--set publish.deadline_s=${deadlineS * 2}\`), then publish again (\`pipeline run publish\`)`
  );
}
