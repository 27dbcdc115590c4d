/**
 * `pipeline run --executor bullmq`: the missing shards of a sharded stage become one BullMQ
 * flow, children = the shards, parent = the merge, taken by `pipeline worker` processes on any
 * machine with the project and the remote cache. Jobs carry keys and object hashes only;
 * results travel through the remote cache. The coordinator follows the flow's events (which
 * worker runs which shard, its progress) and cancels it on Ctrl-C or once a job has failed for good.
 */
import { FlowProducer, Job, Queue, QueueEvents, type ConnectionOptions } from "bullmq";
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
    run: (job, req) => runFlow(job, req, { producer, queue, connection, target, runId, name }),
    close: async () => {
      await Promise.allSettled([producer.close(), queue.close()]);
    },
  };
}

type Flow = Parameters<ShardRunner["run"]>[0];

interface FlowContext {
  producer: FlowProducer;
  queue: Queue;
  connection: ConnectionOptions;
  target: QueueTarget;
  runId: string;
  name: string;
}

/** A job that failed for good: its last attempt's error. */
interface FinalFailure {
  jobId: string;
  failedReason: string;
}

async function runFlow(job: Flow, req: RunRequest, ctx: FlowContext): Promise<ShardRunResult> {
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
  // a shard that failed its last attempt fails the flow now, not once a worker takes the merge BullMQ then fails
  const shardFailed = new Promise<FinalFailure>((resolve) =>
    events.on("failed", ({ jobId, failedReason }) => {
      if (typeof ids.get(jobId) === "number") resolve({ jobId, failedReason });
    }),
  );

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
    return await untilFinished(flow.job, { events, shardFailed, signal: req.signal, ids, count }, ctx);
  } finally {
    await events.close().catch(() => undefined);
  }
}

/**
 * The flow's parent (the merge) finished, a shard failed its last attempt, the merge did, or
 * Ctrl-C. Whatever stops it early cancels the rest of the flow, so no worker goes on with it.
 */
async function untilFinished(
  parent: Job,
  flow: {
    events: QueueEvents;
    shardFailed: Promise<FinalFailure>;
    signal: AbortSignal;
    ids: ReadonlyMap<string, number | "merge">;
    count: number;
  },
  ctx: FlowContext,
): Promise<ShardRunResult> {
  const { signal, ids } = flow;
  let onAbort!: () => void;
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const outcome = await Promise.race([
      parent.waitUntilFinished(flow.events).then(
        () => "done" as const,
        (error: Error): FinalFailure => ({ jobId: parent.id!, failedReason: error.message }),
      ),
      flow.shardFailed,
      aborted,
    ]);
    if (outcome === "done") return { ok: true };
    if (outcome === "aborted") {
      await cancelFlow(parent, [...ids.keys()], ctx);
      return { ok: false, message: `interrupted: the shards queued on ${ctx.name} were cancelled`, exitCode: EXIT.interrupted };
    }
    const what = await describeFailure(outcome, ids.get(outcome.jobId), flow.count, ctx);
    await cancelFlow(parent, [...ids.keys()], ctx);
    return {
      ok: false,
      message: what,
      hint: "the rest of the flow was cancelled; see the output of `pipeline worker`, fix it and run again (finished shards are reused)",
      exitCode: EXIT.stageFailed,
    };
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** "shard 1/4 failed on worker HOST:PID after 3 attempts: ERROR", from the job as Redis holds it. */
async function describeFailure(
  failure: FinalFailure,
  index: number | "merge" | undefined,
  count: number,
  ctx: FlowContext,
): Promise<string> {
  const job = await Job.fromId(ctx.queue, failure.jobId).catch(() => undefined);
  const what = typeof index === "number" ? `shard ${index}/${count}` : `the merge of ${count} shards`;
  const worker = job?.processedBy ? `worker ${job.processedBy}` : ctx.name;
  const attempts = job?.attemptsMade ?? 0;
  const tries = attempts > 0 ? ` after ${attempts} attempt${attempts === 1 ? "" : "s"}` : "";
  return `${what} failed on ${worker}${tries}: ${job?.failedReason || failure.failedReason}`;
}

/** Ctrl-C or a failed job: workers abort the flow's running jobs (announced on a channel), and the rest is removed. */
async function cancelFlow(parent: Job, ids: string[], ctx: FlowContext): Promise<void> {
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
