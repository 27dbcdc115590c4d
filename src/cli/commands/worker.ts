import { availableParallelism } from "node:os";
import { EXIT, UsageError } from "../../core/errors.ts";
import { compiledUrl } from "../../core/paths.ts";
import type { ConnectionOptions } from "bullmq";
import { parseCommandArgs, positiveInt } from "../args.ts";
import type { CliIO } from "../io.ts";
import { openProject } from "../project.ts";
import { remoteSettings } from "../../remote/settings.ts";

export const WORKER_HELP = `usage: pipeline worker --queue redis://HOST:PORT [options]

Takes the shards (and merges) of sharded stages that \`pipeline run --executor bullmq\` queues,
computes each against this project (same pipeline.yaml and code as the coordinator), reading its
inputs from the remote cache and writing its result there. Each job runs in a sandboxed child
process. Runs until Ctrl-C (it finishes nothing half-way: an interrupted job is retried elsewhere).

options:
  --queue URL         the Redis the coordinator queues on
  --concurrency N     jobs at once (default 1)
  --threads N         worker threads per job (default: number of cores)
  --lock-ms MS        how long a job's lock lasts without renewal: a worker killed mid-job is
                      noticed after about this long and its job given to another (default 30000)`;

const OPTIONS = {
  queue: { type: "string" },
  concurrency: { type: "string" },
  threads: { type: "string" },
  "lock-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export async function workerCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("worker", argv, OPTIONS);
  if (values.help) {
    io.stdout(WORKER_HELP);
    return EXIT.ok;
  }
  const { queueTarget, assertReachable, SHARD_QUEUE, CANCEL_CHANNEL } = await import("../../queue/connection.ts");
  const target = queueTarget(values.queue);
  const concurrency = positiveInt("--concurrency", values.concurrency, 1);
  const threads = positiveInt("--threads", values.threads, availableParallelism());
  const lockMs = positiveInt("--lock-ms", values["lock-ms"], 30_000);
  const project = await openProject(io.projectDir, [], (m) => io.stderr(`warning: ${m}`));
  const remote = remoteSettings(project.pipeline, process.env);
  if (remote?.mode !== "readwrite") {
    throw new UsageError(
      "pipeline worker needs a remote cache it writes: shard results travel through it",
      "set PIPELINE_REMOTE_CACHE, PIPELINE_REMOTE_CACHE_MODE=readwrite and PIPELINE_CACHE_SIGNING_KEY",
    );
  }
  await assertReachable(target, "start Redis there, or fix --queue");
  const { Worker } = await import("bullmq");
  const { Redis } = await import("ioredis");
  const { workerName } = await import("../../queue/shard-job.ts");
  const name = workerName();
  Object.assign(process.env, {
    PIPELINE_WORKER_DIR: project.pipeline.dir,
    PIPELINE_WORKER_THREADS: String(threads),
    PIPELINE_WORKER_NAME: name,
  });
  const worker = new Worker(SHARD_QUEUE, compiledUrl(import.meta.url, "../../queue/processor.js"), {
    connection: target.options as ConnectionOptions,
    name, // kept on each job it takes (processedBy): the coordinator names the worker a shard failed on
    concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: 2,
    useWorkerThreads: false,
  });
  const label = (job: { data: { stage: string; index?: number; count: number } } | undefined) => {
    if (!job) return "a job";
    const { stage, index, count } = job.data;
    return `${stage} ${index === undefined ? `merge of ${count} shards` : `shard ${index}/${count}`}`;
  };
  // jobs a coordinator cancelled (Ctrl-C): aborted when running, and refused when taken later
  const cancelled = new Set<string>();
  worker.on("active", (job) => {
    io.stdout(`  start    ${label(job)}`);
    if (job.id && cancelled.has(job.id)) worker.cancelJob(job.id, "the coordinator was interrupted");
  });
  worker.on("completed", (job, result: { cached: boolean; ms: number }) =>
    io.stdout(`  done     ${label(job)} ${result.cached ? "(was cached)" : `in ${(result.ms / 1000).toFixed(2)}s`}`),
  );
  worker.on("failed", (job, error) => io.stdout(`  FAILED   ${label(job)}: ${error.message}`));
  worker.on("error", (error) => io.stderr(`warning: queue ${target.display}: ${error.message}`));
  // Ctrl-C of a coordinator: it names the jobs to stop on this channel
  const cancels = new Redis(target.options);
  cancels.on("error", () => undefined);
  await cancels.subscribe(CANCEL_CHANNEL);
  cancels.on("message", (_channel, message: string) => {
    for (const id of JSON.parse(message) as string[]) {
      cancelled.add(id);
      worker.cancelJob(id, "the coordinator was interrupted");
    }
    if (cancelled.size > 10_000) cancelled.clear();
  });
  await worker.waitUntilReady();
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  io.stdout(`worker ${name} on ${target.display}: ${plural(concurrency, "job")} at once, ${plural(threads, "thread")} each; Ctrl-C stops`);
  await new Promise<void>((resolve) =>
    io.signal.aborted ? resolve() : io.signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  cancels.disconnect();
  await worker.close(true);
  return EXIT.interrupted;
}
