import { describe, expect, it } from "vitest";
import { createRng } from "../../../src/core/rng.ts";
import { classifyError, classifyStatus } from "../../../src/publish/http.ts";
import { backoffDelay, createTokenBucket, MAX_RETRY_AFTER_MS, parseRetryAfter } from "../../../src/publish/pacing.ts";

describe("token bucket", () => {
  it("lets a full bucket through at once, then one token per interval", () => {
    const clock = 1000;
    const bucket = createTokenBucket(100, 3, () => clock); // 10 ms per token
    const waits = Array.from({ length: 6 }, () => bucket.reserve());
    expect(waits).toEqual([0, 0, 0, 10, 20, 30]);
  });

  it("refills while idle, but never beyond its capacity", () => {
    let clock = 0;
    const bucket = createTokenBucket(100, 2, () => clock);
    for (let i = 0; i < 5; i++) bucket.reserve();
    clock = 10_000;
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 10]);
  });

  it("never waits when the rate is 0 (no cap)", () => {
    const bucket = createTokenBucket(0, 1, () => 0);
    expect(Array.from({ length: 100 }, () => bucket.reserve()).every((w) => w === 0)).toBe(true);
  });
});

describe("backoff", () => {
  it("doubles per attempt within [0.5, 1) of the nominal delay, capped", () => {
    const rng = createRng(1);
    const policy = { baseMs: 100, maxMs: 1000 };
    for (let attempt = 1; attempt <= 6; attempt++) {
      const nominal = Math.min(1000, 100 * 2 ** (attempt - 1));
      const delay = backoffDelay(attempt, policy, rng);
      expect(delay).toBeGreaterThanOrEqual(nominal * 0.5);
      expect(delay).toBeLessThan(nominal);
    }
  });

  it("jitters the same way for the same seed", () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    const run = (): number[] => {
      const rng = createRng(9);
      return [1, 2, 3].map((a) => backoffDelay(a, policy, rng));
    };
    expect(run()).toEqual(run());
  });
});

describe("Retry-After", () => {
  it("reads delta-seconds and HTTP dates, caps long waits, ignores garbage", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter(["0.5"], now)).toBe(500);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:03 GMT", now)).toBe(3000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("86400", now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe("response classification", () => {
  it("retries 5xx and 429, not other statuses", () => {
    expect(classifyStatus(204, undefined)).toEqual({ ok: true });
    expect(classifyStatus(503, "1")).toMatchObject({ ok: false, retryable: true, reason: "HTTP 503", retryAfterMs: 1000 });
    expect(classifyStatus(429, undefined)).toMatchObject({ ok: false, retryable: true, reason: "HTTP 429" });
    expect(classifyStatus(400, "1")).toEqual({ ok: false, retryable: false, unreachable: false, reason: "HTTP 400" });
    expect(classifyStatus(404, undefined)).toMatchObject({ retryable: false });
  });

  it("retries transport errors and marks the ones that mean the host is unreachable", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    const slow = Object.assign(new Error("Headers Timeout Error"), { code: "UND_ERR_HEADERS_TIMEOUT" });
    expect(classifyError(refused, 100)).toEqual({ ok: false, retryable: true, unreachable: true, reason: "connection refused" });
    expect(classifyError(reset, 100)).toMatchObject({ retryable: true, unreachable: false });
    expect(classifyError(slow, 250)).toMatchObject({ retryable: true, unreachable: false, reason: "no answer within 250 ms" });
    const aborted = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(classifyError(aborted, 250)).toMatchObject({ retryable: true, unreachable: false, reason: "no answer within 250 ms" });
  });
});
