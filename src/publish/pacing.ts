/**
 * Timing policy for delivery: a token-bucket rate cap and jittered exponential backoff.
 * The clock is injected so the arithmetic is testable without waiting.
 */
import { setTimeout as sleepTimer } from "node:timers/promises";
import type { Rng } from "../core/rng.ts";

/**
 * A token bucket of `capacity` tokens refilled at `ratePerSecond`, in its GCRA form: each
 * `reserve()` books the next free slot synchronously and returns how long to wait for it, so
 * concurrent callers never race for the same token. `ratePerSecond` 0 means no cap.
 */
export interface TokenBucket {
  /** milliseconds the caller must wait before sending */
  reserve(): number;
}

export function createTokenBucket(ratePerSecond: number, capacity: number, now: () => number): TokenBucket {
  if (!(ratePerSecond > 0)) return { reserve: () => 0 };
  const interval = 1000 / ratePerSecond;
  // a full bucket lets `capacity` sends through at once; after that one per interval
  const tolerance = (Math.max(1, capacity) - 1) * interval;
  let theoreticalArrival = Number.NEGATIVE_INFINITY;
  return {
    reserve() {
      const t = now();
      const arrival = Math.max(theoreticalArrival, t);
      theoreticalArrival = arrival + interval;
      return Math.max(0, arrival - tolerance - t);
    },
  };
}

export interface BackoffPolicy {
  /** first retry waits about this long; each further retry doubles it */
  readonly baseMs: number;
  /** no computed backoff exceeds this */
  readonly maxMs: number;
}

/** Backoffs stop doubling at 5 s, or at the base when that is longer (publish's and stream's `backoff_ms`). */
export function backoffFrom(baseMs: number): BackoffPolicy {
  return { baseMs, maxMs: Math.max(baseMs, 5_000) };
}

/**
 * Delay before retry number `attempt` (1-based): base·2^(attempt-1), capped, scaled by a
 * seeded factor in [0.5, 1) so that retries from many requests do not arrive in lockstep.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, rng: Rng): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return exponential * (0.5 + 0.5 * rng.next());
}

/** The longest Retry-After we obey; a dashboard asking for more is treated as asking for this. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Retry-After in milliseconds: delta-seconds ("2") or an HTTP date, relative to `nowMs`
 * (wall-clock, as the header is). Undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.min(MAX_RETRY_AFTER_MS, Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - nowMs));
}

/** Wait `ms`; resolves false instead of waiting when (or as soon as) `signal` aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleepTimer(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
