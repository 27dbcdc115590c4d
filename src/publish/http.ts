/**
 * One POST of one event over an undici Pool, classified for the retry policy. The pool is
 * only created when a delivery starts: importing this module opens no socket.
 */
import { Pool } from "undici";
import { parseRetryAfter } from "./pacing.ts";

export type SendOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** short cause for the report: "HTTP 503", "connection refused", ... */
      readonly reason: string;
      /** worth another attempt: connection errors, timeouts, 5xx and 429 */
      readonly retryable: boolean;
      /** the host itself cannot be reached: every other event would fail the same way */
      readonly unreachable: boolean;
      /** what the server's Retry-After asked for, in ms */
      readonly retryAfterMs?: number;
    };

export interface EventSender {
  send(body: string, idempotencyKey: string): Promise<SendOutcome>;
  /** waits for in-flight requests, then closes the keep-alive connections */
  close(): Promise<void>;
}

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * A keep-alive pool of at most `connections` sockets to the origin of `url`. When `abort`
 * aborts, every request in flight is cut off (and fails as a transport error).
 */
export function createEventSender(url: URL, connections: number, timeoutMs: number, abort?: AbortSignal): EventSender {
  const pool = new Pool(url.origin, { connections, pipelining: 1, connect: { timeout: timeoutMs } });
  const path = `${url.pathname}${url.search}`;
  return {
    async send(body, idempotencyKey) {
      try {
        const response = await pool.request({
          path,
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": idempotencyKey },
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          // undici's own timeouts tick at about 1 s; this one fires on time
          signal: abort ? AbortSignal.any([AbortSignal.timeout(timeoutMs), abort]) : AbortSignal.timeout(timeoutMs),
        });
        await response.body.dump();
        return classifyStatus(response.statusCode, response.headers["retry-after"]);
      } catch (error) {
        return classifyError(error, timeoutMs);
      }
    },
    close: () => pool.close(),
  };
}

/** 2xx delivered; 5xx and 429 retry (with the server's Retry-After); other statuses are final. */
export function classifyStatus(status: number, retryAfter: string | string[] | undefined): SendOutcome {
  if (status >= 200 && status < 300) return { ok: true };
  const retryable = status >= 500 || status === 429;
  const retryAfterMs = retryable ? parseRetryAfter(retryAfter, Date.now()) : undefined;
  return {
    ok: false,
    reason: `HTTP ${status}`,
    retryable,
    unreachable: false,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/** Any transport error is retryable; a few mean the host cannot be reached at all. */
export function classifyError(error: unknown, timeoutMs: number): SendOutcome {
  const code = (error as { code?: unknown } | null)?.code;
  const isTimeout = error instanceof Error && error.name === "TimeoutError";
  const text = isTimeout ? "UND_ERR_HEADERS_TIMEOUT" : typeof code === "string" ? code : "";
  return { ok: false, reason: describeTransportError(text, error, timeoutMs), retryable: true, unreachable: UNREACHABLE_CODES.has(text) };
}

function describeTransportError(code: string, error: unknown, timeoutMs: number): string {
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "connection closed by the server";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "UND_ERR_CONNECT_TIMEOUT":
      return `no connection within ${timeoutMs} ms`;
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return `no answer within ${timeoutMs} ms`;
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
