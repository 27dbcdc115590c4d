/**
 * Deliver events to the dashboard: at most `burst` requests in flight over keep-alive
 * connections, a token-bucket rate cap, retries with jittered exponential backoff on
 * transport errors, 5xx and 429 (Retry-After honoured), none on other 4xx.
 *
 *   events ──► burst workers ──► token bucket ──► POST ──► 2xx: sent
 *                  ▲                                  └──► retryable: backoff, again (≤ retries)
 *                  └── next event                     └──► final: failed (reason counted)
 *
 * When one event has exhausted its retries because the host cannot be reached at all
 * (connection refused, DNS), the remaining events are not tried: they are counted as failed
 * for the same reason, so a dead dashboard costs one retry budget, not one per event.
 * Cancelling (the signal) stops new sends; requests already in flight settle first.
 */
import { setMaxListeners } from "node:events";
import type { Rng } from "../core/rng.ts";
import type { PublishEvent } from "./events.ts";
import { createEventSender, type EventSender, type SendOutcome } from "./http.ts";
import { backoffDelay, createTokenBucket, sleep, type BackoffPolicy, type TokenBucket } from "./pacing.ts";

export interface DeliveryOptions {
  readonly url: string;
  /** most requests in flight at once (also the pool's connection count) */
  readonly burst: number;
  /** events per second; 0 = no cap */
  readonly rateHz: number;
  /** per-request limit to connect and to receive the answer */
  readonly timeoutMs: number;
  /** further attempts after the first, per event */
  readonly retries: number;
  /** source of the backoff jitter (seeded, so a run's retry timing is reproducible) */
  readonly rng: Rng;
  readonly backoff?: BackoffPolicy;
  /** stop sending when it aborts; in-flight requests still settle */
  readonly signal?: AbortSignal;
  /** monotonic milliseconds, for the rate cap and the duration */
  readonly now?: () => number;
  /** `idempotency-key` header = prefix + event index, so a dashboard may drop duplicates */
  readonly idempotencyPrefix?: string;
}

export interface DeliveryReport {
  readonly url: string;
  readonly total: number;
  /** events for which at least one request was started */
  readonly attempted: number;
  readonly sent: number;
  /** extra requests made by retries */
  readonly retried: number;
  readonly failed: number;
  /** failure cause → number of events it made fail */
  readonly reasons: Readonly<Record<string, number>>;
  /** the signal stopped the delivery before every event was tried */
  readonly cancelled: boolean;
  readonly ms: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 5_000 };

interface Delivery {
  readonly events: readonly PublishEvent[];
  readonly options: DeliveryOptions;
  readonly sender: EventSender;
  readonly bucket: TokenBucket;
  readonly stop: AbortController;
  next: number;
  attempted: number;
  sent: number;
  retried: number;
  failed: number;
  reasons: Record<string, number>;
  unreachable: string | undefined;
}

/** POST every event (one JSON object per request) and count what happened. Never throws for HTTP trouble. */
export async function deliverEvents(events: readonly PublishEvent[], options: DeliveryOptions): Promise<DeliveryReport> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const stop = new AbortController();
  // every worker's pending sleep listens on it: up to `burst` listeners is by design
  setMaxListeners(0, stop.signal);
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();

  const burst = Math.max(1, Math.floor(options.burst));
  const state: Delivery = {
    events,
    options,
    sender: createEventSender(new URL(options.url), burst, options.timeoutMs),
    bucket: createTokenBucket(options.rateHz, burst, now),
    stop,
    next: 0,
    attempted: 0,
    sent: 0,
    retried: 0,
    failed: 0,
    reasons: {},
    unreachable: undefined,
  };
  try {
    const workers = Array.from({ length: Math.min(burst, events.length) }, () => runWorker(state));
    await Promise.all(workers);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await state.sender.close();
  }
  if (state.unreachable !== undefined) countFailed(state, state.unreachable, events.length - state.next);
  return {
    url: options.url,
    total: events.length,
    attempted: state.attempted,
    sent: state.sent,
    retried: state.retried,
    failed: state.failed,
    reasons: state.reasons,
    cancelled: options.signal?.aborted === true && state.sent + state.failed < events.length,
    ms: now() - started,
  };
}

async function runWorker(state: Delivery): Promise<void> {
  while (!state.stop.signal.aborted && state.next < state.events.length) {
    const index = state.next++;
    await deliverOne(state, index);
  }
}

async function deliverOne(state: Delivery, index: number): Promise<void> {
  const { options, stop } = state;
  const body = JSON.stringify(state.events[index]);
  const key = `${options.idempotencyPrefix ?? "event-"}${index}`;
  let lastReason: string | undefined;
  for (let attempt = 0; ; attempt++) {
    if (!(await sleep(state.bucket.reserve(), stop.signal))) return giveUp(state, lastReason);
    if (attempt === 0) state.attempted++;
    else state.retried++;
    const outcome = await state.sender.send(body, key);
    if (outcome.ok) {
      state.sent++;
      return;
    }
    if (!outcome.retryable || attempt >= options.retries) return finalFailure(state, outcome);
    lastReason = outcome.reason;
    const delay = Math.max(backoffDelay(attempt + 1, options.backoff ?? DEFAULT_BACKOFF, options.rng), outcome.retryAfterMs ?? 0);
    if (!(await sleep(delay, stop.signal))) return giveUp(state, lastReason);
  }
}

function finalFailure(state: Delivery, outcome: Exclude<SendOutcome, { ok: true }>): void {
  countFailed(state, outcome.reason, 1);
  if (outcome.unreachable && state.unreachable === undefined) {
    state.unreachable = outcome.reason;
    state.stop.abort();
  }
}

/**
 * Stopped while waiting. Unreachable host: the event failed for that reason. Cancelled: an
 * event never tried stays out of the counts (reported as not sent); one that was being
 * retried failed for its last reason.
 */
function giveUp(state: Delivery, lastReason: string | undefined): void {
  if (state.unreachable !== undefined) countFailed(state, state.unreachable, 1);
  else if (lastReason !== undefined) countFailed(state, lastReason, 1);
}

function countFailed(state: Delivery, reason: string, count: number): void {
  if (count <= 0) return;
  state.failed += count;
  state.reasons[reason] = (state.reasons[reason] ?? 0) + count;
}

/** The one line printed after a delivery. */
export function formatDeliverySummary(report: DeliveryReport): string {
  const rate = report.ms > 0 ? Math.round((report.sent / report.ms) * 1000) : 0;
  const tail = report.cancelled ? `, stopped early (${report.total - report.sent - report.failed} not sent)` : "";
  return (
    `published to ${report.url}: sent ${report.sent}, retried ${report.retried}, failed ${report.failed} ` +
    `of ${report.total} events in ${Math.round(report.ms)} ms (${rate} events/s)${tail}`
  );
}
