/**
 * The Redis behind `--executor bullmq` and `pipeline worker`: its URL checked, and the server
 * asked once (PING) before anything is queued, so an unreachable queue is one clear error
 * naming the URL (exit 69) instead of BullMQ's reconnect loop.
 */
import { Redis, type RedisOptions } from "ioredis";
import { EXIT, PipelineError, UsageError } from "../core/errors.ts";

/** Jobs of every project go through this queue; a job names its stage and key, so any worker with the project can take it. */
export const SHARD_QUEUE = "pipeline-shards";
/** Pub/sub channel a coordinator announces cancelled jobs on (Ctrl-C); workers abort them. */
export const CANCEL_CHANNEL = "pipeline-shards:cancel";

export interface QueueTarget {
  /** how to name it to the user: the URL without a password */
  readonly display: string;
  /** ioredis options; BullMQ workers need maxRetriesPerRequest null */
  readonly options: RedisOptions;
}

/** `redis://[user:password@]HOST:PORT[/DB]` (or rediss:// for TLS) as connection options. */
export function queueTarget(url: string | undefined, flag = "--queue"): QueueTarget {
  if (!url) throw new UsageError(`${flag} is required: the Redis of the BullMQ queue, e.g. ${flag} redis://127.0.0.1:6379`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${flag} ${JSON.stringify(url)} is not a URL`, "write it as redis://HOST:PORT");
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")
    throw new UsageError(`${flag} ${JSON.stringify(url)}: expected a redis:// or rediss:// URL`);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new UsageError(`${flag} ${JSON.stringify(url)}: the database after the slash must be a number`);
  const display = `${parsed.protocol}//${parsed.hostname}:${parsed.port || 6379}${db ? `/${db}` : ""}`;
  const options: RedisOptions = {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    db,
    maxRetriesPerRequest: null,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === "rediss:" ? { tls: {} } : {}),
  };
  return { display, options };
}

/** PING once with a short timeout and no retries; throws a PipelineError (exit 69) naming the URL. */
export async function assertReachable(target: QueueTarget, hint: string): Promise<void> {
  const client = new Redis({
    ...target.options,
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let first: Error | undefined; // the socket's own error (ECONNREFUSED) says more than "Connection is closed."
  client.on("error", (error: Error) => (first ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const why = (first ?? (error instanceof Error ? error : new Error(String(error)))).message;
    throw new PipelineError(`cannot reach the queue's Redis at ${target.display} (${why})`, {
      code: "E_QUEUE_UNREACHABLE",
      exitCode: EXIT.unavailable,
      hint,
    });
  } finally {
    client.disconnect();
  }
}
