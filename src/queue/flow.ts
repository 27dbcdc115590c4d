/**
 * `pipeline run --executor bullmq`: the missing shards of a sharded stage become one BullMQ
 * flow, children = the shards, parent = the merge, taken by `pipeline worker` processes on any
 * machine with the project and the remote cache. Jobs carry keys and object hashes only;
 * results travel through the remote cache. The coordinator follows the flow's events (which
 * worker runs which shard, its progress) and, on Ctrl-C, cancels it.
 */
import { FlowProducer, Queue, QueueEvents, type ConnectionOptions, type Job } from "bullmq";
import { Redis } from "ioredis";
import { EXIT } from "../core/errors.ts";
import { stageKey } from "../core/keys.ts";
import type { ShardRunner, ShardRunResult } from "../engine/run-sharded.ts";
import type { RunRequest } from "../engine/run.ts";
import { assertReachable, CANCEL_CHANNEL, SHARD_QUEUE, type QueueTarget } from "./connection.ts";
import type { ShardJobData, ShardJobResult } from "./shard-job.ts";

/** A failed shard is tried this many times in all (a stalled one too: BullMQ moves it back). */
const ATTEMPTS = 3;

export interface BullmqRunner extends ShardRunner {
  /** workers listening on the queue now */
  workers(): Promise<number>;
  close(): Promise<void>;
}

/** Connects (a clear error naming the URL when Redis does not answer) and returns the runner. */
export async function openBullmqRunner(target: QueueTarget, runId: string): Promise<BullmqRunner> {
  await assertReachable(target, "start Redis there, fix --queue, or run the shards here with --executor local");
  const connection = target.options as ConnectionOptions;
  const queue = new Queue(SHARD_QUEUE, { connection });
  const producer = new FlowProducer({ connection });
  const name = `bullmq ${target.display}`;
  return {
    name,
    workers: () => queue.getWorkersCount(),
    run: (job, req) => runFlow(job, req, { producer, connection, target, runId, name }),
    close: async () => {
      await Promise.allSettled([producer.close(), queue.close()]);
    },
  };
}

type Flow = Parameters<ShardRunner["run"]>[0];

async function runFlow(
  job: Flow,
  req: RunRequest,
  ctx: { producer: FlowProducer; connection: ConnectionOptions; target: QueueTarget; runId: string; name: string },
): Promise<ShardRunResult> {
  const { stage, parts, inputs, count, shards } = job;
  if (!req.remote?.enabled) {
    return {
      ok: false,
      message: "--executor bullmq needs the remote cache: shards travel through it",
      hint: "configure cache.remote (readwrite for this run, so its inputs reach the workers)",
      exitCode: EXIT.usage,
    };
  }
  await req.remote.flush(); // the workers read this run's upstream results from the remote
  const data: ShardJobData = { stage: stage.name, parts, inputs, count };
  const prefix = `${stageKey(parts).slice(0, 16)}-${ctx.runId}`;
  const ids = new Map<string, number | "merge">([
    [`${prefix}-merge`, "merge"],
    ...shards.map((i) => [`${prefix}-${i}`, i] as [string, number]),
  ]);

  const events = new QueueEvents(SHARD_QUEUE, { connection: ctx.connection });
  await events.waitUntilReady();
  const started = new Map<number, number>();
  const emitShard = (index: number, state: "running" | "done" | "queued", where: string, ms?: number) =>
    req.emit({ type: "stage:shard", stage: stage.name, index, count, state, where, ...(ms !== undefined ? { ms } : {}) });
  events.on("progress", ({ jobId, data: progress }) => {
    const index = ids.get(jobId);
    const { fraction, worker } = (progress ?? {}) as { fraction?: number; worker?: string };
    if (typeof index !== "number" || typeof fraction !== "number") return;
    if (!started.has(index)) started.set(index, performance.now());
    emitShard(index, "running", worker || ctx.name);
    req.emit({ type: "stage:progress", stage: stage.name, fraction, detail: `shard ${index}/${count} on ${worker || ctx.name}` });
  });
  events.on("completed", ({ jobId, returnvalue }) => {
    const index = ids.get(jobId);
    if (typeof index !== "number") return;
    const result = (typeof returnvalue === "string" ? JSON.parse(returnvalue) : returnvalue) as ShardJobResult;
    emitShard(index, "done", `${result.worker}${result.cached ? " (was cached)" : ""}`, result.ms);
  });
  events.on("stalled", ({ jobId }) => {
    const index = ids.get(jobId);
    if (typeof index === "number")
      req.emit({
        type: "warning",
        stage: stage.name,
        message: `${stage.name}: shard ${index}/${count}'s worker stopped answering; BullMQ gives the shard to another worker`,
      });
  });
  events.on("error", () => undefined);

  const flow = await ctx.producer.add({
    name: `${stage.name} merge of ${count} shards`,
    queueName: SHARD_QUEUE,
    data,
    opts: {
      jobId: `${prefix}-merge`,
      attempts: ATTEMPTS,
      backoff: { type: "fixed", delay: 500 },
      removeOnComplete: true,
      removeOnFail: 100,
    },
    children: shards.map((index) => ({
      name: `${stage.name} shard ${index}/${count}`,
      queueName: SHARD_QUEUE,
      data: { ...data, index },
      opts: {
        jobId: `${prefix}-${index}`,
        attempts: ATTEMPTS,
        backoff: { type: "fixed", delay: 500 },
        failParentOnFailure: true,
        removeOnComplete: true,
        removeOnFail: 100,
      },
    })),
  });
  try {
    return await untilFinished(flow.job, events, req.signal, ids, ctx);
  } finally {
    await events.close().catch(() => undefined);
  }
}

/** The flow's parent (the merge) finished, failed (a shard failed every attempt), or Ctrl-C cancelled it. */
async function untilFinished(
  parent: Job,
  events: QueueEvents,
  signal: AbortSignal,
  ids: ReadonlyMap<string, number | "merge">,
  ctx: { connection: ConnectionOptions; target: QueueTarget; name: string },
): Promise<ShardRunResult> {
  let onAbort!: () => void;
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const outcome = await Promise.race([
      parent.waitUntilFinished(events).then(
        () => "done" as const,
        (error: Error) => error,
      ),
      aborted,
    ]);
    if (outcome === "done") return { ok: true };
    if (outcome === "aborted") {
      await cancelFlow(parent, [...ids.keys()], ctx);
      return { ok: false, message: `interrupted: the shards queued on ${ctx.name} were cancelled`, exitCode: EXIT.interrupted };
    }
    return {
      ok: false,
      message: `a shard failed on ${ctx.name}: ${outcome.message}`,
      hint: "see the output of `pipeline worker`; fix it and run again (finished shards are reused)",
      exitCode: EXIT.stageFailed,
    };
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Ctrl-C: workers abort the flow's running jobs (announced on a channel), and the waiting ones are removed. */
async function cancelFlow(parent: Job, ids: string[], ctx: { target: QueueTarget }): Promise<void> {
  const client = new Redis({ ...ctx.target.options, maxRetriesPerRequest: 1 });
  client.on("error", () => undefined);
  try {
    await client.publish(CANCEL_CHANNEL, JSON.stringify(ids));
    // a cancelled job fails at once; the parent and the jobs not started can then be removed
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await parent.remove({ removeChildren: true });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    client.disconnect();
  }
}
