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
 *
 * The deadline bounds the whole delivery, whatever the server does (accept and never answer,
 * ask for a Retry-After of an hour): when it passes, no request starts, those in flight are
 * aborted, and every event not delivered by then is failed for that reason. A wait (rate cap,
 * backoff, Retry-After) that would end after the deadline ends the delivery at the deadline.
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
  /** the whole delivery ends this many ms after it starts; undefined = no deadline */
  readonly deadlineMs?: number;
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
  /** the deadline passed before every event was delivered or failed */
  readonly deadlinePassed: boolean;
  readonly ms: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 5_000 };

interface Delivery {
  readonly events: readonly PublishEvent[];
  readonly options: DeliveryOptions;
  readonly sender: EventSender;
  readonly bucket: TokenBucket;
  readonly stop: AbortController;
  readonly deadline: Deadline | undefined;
  next: number;
  attempted: number;
  sent: number;
  retried: number;
  failed: number;
  reasons: Record<string, number>;
  /** why every event not yet delivered fails: the host is unreachable, or the deadline passed */
  stopReason: string | undefined;
}

interface Deadline {
  /** aborts when the deadline passes; the requests in flight listen on it */
  readonly signal: AbortSignal;
  readonly reason: string;
  /** ms until the deadline, by the delivery's clock */
  timeLeft(): number;
  /** the deadline has passed (a wait found no time left, or the timer fired) */
  expire(): void;
  clear(): void;
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

  const deadline = options.deadlineMs === undefined ? undefined : startDeadline(options.deadlineMs, started, now);
  const burst = Math.max(1, Math.floor(options.burst));
  const state: Delivery = {
    events,
    options,
    sender: createEventSender(new URL(options.url), burst, options.timeoutMs, deadline?.signal),
    bucket: createTokenBucket(options.rateHz, burst, now),
    stop,
    deadline,
    next: 0,
    attempted: 0,
    sent: 0,
    retried: 0,
    failed: 0,
    reasons: {},
    stopReason: undefined,
  };
  deadline?.signal.addEventListener("abort", () => stopFor(state, deadline.reason, !options.signal?.aborted), { once: true });
  try {
    const workers = Array.from({ length: Math.min(burst, events.length) }, () => runWorker(state));
    await Promise.all(workers);
  } finally {
    deadline?.clear();
    options.signal?.removeEventListener("abort", onAbort);
    await state.sender.close();
  }
  if (state.stopReason !== undefined) countFailed(state, state.stopReason, events.length - state.next);
  return {
    url: options.url,
    total: events.length,
    attempted: state.attempted,
    sent: state.sent,
    retried: state.retried,
    failed: state.failed,
    reasons: state.reasons,
    cancelled: options.signal?.aborted === true && state.sent + state.failed < events.length,
    deadlinePassed: deadline?.signal.aborted === true,
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
  const { options } = state;
  const body = JSON.stringify(state.events[index]);
  const key = `${options.idempotencyPrefix ?? "event-"}${index}`;
  let lastReason: string | undefined;
  for (let attempt = 0; ; attempt++) {
    if (!(await pause(state, state.bucket.reserve()))) return giveUp(state, lastReason);
    if (attempt === 0) state.attempted++;
    else state.retried++;
    const outcome = await state.sender.send(body, key);
    if (outcome.ok) {
      state.sent++;
      return;
    }
    // aborted by the deadline, or a retry that no longer has time
    if (outcome.retryable && state.deadline?.signal.aborted) return countFailed(state, state.deadline.reason, 1);
    if (!outcome.retryable || attempt >= options.retries) return finalFailure(state, outcome);
    lastReason = outcome.reason;
    const delay = Math.max(backoffDelay(attempt + 1, options.backoff ?? DEFAULT_BACKOFF, options.rng), outcome.retryAfterMs ?? 0);
    if (!(await pause(state, delay))) return giveUp(state, lastReason);
  }
}

/** Wait `ms`, but never past the deadline: a wait that would outlast it ends at it. False when stopped. */
async function pause(state: Delivery, ms: number): Promise<boolean> {
  const left = state.deadline?.timeLeft() ?? Number.POSITIVE_INFINITY;
  if (ms < left) return sleep(ms, state.stop.signal);
  await sleep(left, state.stop.signal);
  state.deadline?.expire();
  return false;
}

function startDeadline(deadlineMs: number, started: number, now: () => number): Deadline {
  const controller = new AbortController();
  // every in-flight request listens on it: up to `burst` listeners is by design
  setMaxListeners(0, controller.signal);
  const expire = (): void => controller.abort(new Error("publish deadline passed"));
  const timer = setTimeout(expire, Math.max(0, deadlineMs));
  return {
    signal: controller.signal,
    reason: `publish deadline of ${formatSeconds(deadlineMs)} s passed`,
    timeLeft: () => started + deadlineMs - now(),
    expire,
    clear: () => clearTimeout(timer),
  };
}

/** 60000 -> "60", 300 -> "0.3", 1250 -> "1.25" */
function formatSeconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(3)));
}

/**
 * Stop starting requests. `reason` (when `fails` and no earlier cause) is what every event not
 * delivered yet fails for; a delivery cancelled first keeps its untried events out of the counts.
 */
function stopFor(state: Delivery, reason: string, fails: boolean): void {
  if (fails && state.stopReason === undefined) state.stopReason = reason;
  state.stop.abort();
}

function finalFailure(state: Delivery, outcome: Exclude<SendOutcome, { ok: true }>): void {
  countFailed(state, outcome.reason, 1);
  if (outcome.unreachable) stopFor(state, outcome.reason, true);
}

/**
 * Stopped while waiting. Unreachable host or deadline passed: the event failed for that reason.
 * Cancelled: an event never tried stays out of the counts (reported as not sent); one that was
 * being retried failed for its last reason.
 */
function giveUp(state: Delivery, lastReason: string | undefined): void {
  if (state.stopReason !== undefined) countFailed(state, state.stopReason, 1);
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
  const tail = report.cancelled
    ? `, stopped early (${report.total - report.sent - report.failed} not sent)`
    : report.deadlinePassed
      ? ", stopped at the deadline"
      : "";
  return (
    `published to ${report.url}: sent ${report.sent}, retried ${report.retried}, failed ${report.failed} ` +
    `of ${report.total} events in ${Math.round(report.ms)} ms (${rate} events/s)${tail}`
  );
}
