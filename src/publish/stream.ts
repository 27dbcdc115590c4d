/**
 * `pipeline stream`: replay a written fit to the dashboard in cycles, as the seed's `stream`
 * does. Each cycle re-sends model_metric and model_perf, then the same seeded subsample of
 * points, so a browser that reconnects between cycles finds a populated scatter.
 */
import { readFile } from "node:fs/promises";
import { describeError, InputError } from "../core/errors.ts";
import { createRng } from "../core/rng.ts";
import { deliverEvents, formatDeliverySummary, type DeliveryReport } from "./deliver.ts";
import { describeReasons, PublishError } from "./errors.ts";
import { buildEmbeddingEvents, buildModelEvents, type PublishEvent } from "./events.ts";
import { parseModelMetrics, readFit } from "./inputs.ts";
import { sleep, type BackoffPolicy } from "./pacing.ts";
import { describeDryRun } from "./report.ts";

export interface StreamOptions {
  /** absolute path of knn_v1.parquet, and how to name it to the user */
  readonly fit: { readonly path: string; readonly display: string };
  readonly metrics: { readonly path: string; readonly display: string };
  readonly url: string;
  /** points per cycle; 0 = every row */
  readonly maxPoints: number;
  readonly burst: number;
  readonly rateHz: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoff: BackoffPolicy;
  /** each cycle ends this many seconds after it starts; what is undelivered by then fails */
  readonly deadlineS: number;
  readonly loop: boolean;
  readonly cyclePauseS: number;
  readonly seed: number;
  readonly dryRun: boolean;
}

export interface StreamOutput {
  stdout(line: string): void;
  stderr(line: string): void;
}

/** The events of one cycle: model_metric, model_perf, then the seeded subsample of points (sorted by row). */
export async function loadCycleEvents(options: StreamOptions): Promise<PublishEvent[]> {
  const fitBytes = await readInput(options.fit, "write it with `pipeline run`, or name another with --fit PATH");
  const metricsHint = "write it with `pipeline run` (the stage that uses evaluate), or name it with --metrics PATH";
  const metricsText = await readInput(options.metrics, metricsHint);
  let metricsJson: unknown;
  try {
    metricsJson = JSON.parse(new TextDecoder().decode(metricsText));
  } catch (error) {
    throw new InputError(`${options.metrics.display} is not valid JSON: ${describeError(error)}`, "write it again with `pipeline run`");
  }
  const metrics = parseModelMetrics(metricsJson, options.metrics.display);
  const { table, rows } = readFit(fitBytes, options.fit.display);
  const selection = createRng(options.seed).sample(rows, options.maxPoints > 0 ? options.maxPoints : rows);
  return [...buildModelEvents(metrics), ...buildEmbeddingEvents(table, selection)];
}

/**
 * Run cycles until done (one, without --loop) or until `signal` aborts, which lets in-flight
 * requests settle and returns normally. Without --loop, undelivered events are a PublishError;
 * with --loop they are a warning, because a dashboard that restarts should find the stream still
 * running on its return.
 */
export async function runStream(options: StreamOptions, out: StreamOutput, signal: AbortSignal): Promise<void> {
  const events = await loadCycleEvents(options);
  if (options.dryRun) {
    for (const line of describeDryRun(events, options.url)) out.stdout(line);
    return;
  }
  out.stdout(`streaming ${events.length - 2} points and 2 model events per cycle from ${options.fit.display} to ${options.url}`);
  const jitter = createRng(options.seed).fork("retry-jitter");
  // a dashboard that deduplicates must see each stream process's cycles as new events
  const streamId = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  for (let cycle = 1; !signal.aborted; cycle++) {
    const report = await deliverEvents(events, {
      url: options.url,
      burst: options.burst,
      rateHz: options.rateHz,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      backoff: options.backoff,
      rng: jitter,
      signal,
      deadlineMs: options.deadlineS * 1000,
      idempotencyPrefix: `stream-${streamId}-${cycle}-`,
    });
    out.stdout(`cycle ${cycle}: ${formatDeliverySummary(report)}`);
    if (signal.aborted) return;
    if (report.failed > 0) reportFailure(report, cycle, options, out);
    if (!options.loop) return;
    if (!(await sleep(options.cyclePauseS * 1000, signal))) return;
  }
}

function reportFailure(report: DeliveryReport, cycle: number, options: StreamOptions, out: StreamOutput): void {
  if (!options.loop) {
    const longer = report.deadlinePassed ? `, or allow a cycle longer (\`--deadline-s ${options.deadlineS * 2}\`)` : "";
    throw new PublishError(report, `check that the dashboard is listening at ${report.url}${longer}, then run \`pipeline stream\` again`);
  }
  out.stderr(
    `warning: cycle ${cycle}: ${report.failed} of ${report.total} events not delivered (${describeReasons(report.reasons)}); ` +
      `trying again in ${options.cyclePauseS} s`,
  );
}

async function readInput(file: { path: string; display: string }, hint: string): Promise<Uint8Array> {
  try {
    return await readFile(file.path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const what = code === "ENOENT" ? "not found" : `unreadable (${describeError(error)})`;
    throw new InputError(`${file.display}: ${what}`, hint);
  }
}
