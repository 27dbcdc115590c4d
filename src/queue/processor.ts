/**
 * BullMQ's sandboxed processor for `pipeline worker`: each job runs in this child process, so
 * a CPU-bound shard never starves the worker process that renews the job's lock (BullMQ's
 * answer to stalled CPU-bound jobs). The worker passes its project folder and thread count in
 * the environment.
 */
import type { SandboxedJob } from "bullmq";
import { openProject, type Project } from "../cli/project.ts";
import { CancelledError } from "../core/errors.ts";
import { JobRefused, processShardJob, type ShardJobData, type ShardJobResult } from "./shard-job.ts";

// a worker killed with SIGKILL cannot stop its sandbox: the sandbox stops itself, and BullMQ's
// stalled-job check gives the job to another worker
process.on("disconnect", () => process.exit(1));

let project: Promise<Project> | undefined;

export default async function processor(
  job: SandboxedJob<ShardJobData, ShardJobResult>,
  _token?: string,
  signal?: AbortSignal,
): Promise<ShardJobResult> {
  const dir = process.env.PIPELINE_WORKER_DIR;
  if (!dir) throw new JobRefused("PIPELINE_WORKER_DIR is not set (start workers with `pipeline worker`)");
  project ??= openProject(dir, [], (m) => void job.log(`warning: ${m}`));
  const abort = signal ?? new AbortController().signal;
  let last = 0;
  try {
    return await processShardJob(job.data, {
      project: await project,
      threads: Number(process.env.PIPELINE_WORKER_THREADS) || 1,
      signal: abort,
      progress: (fraction, detail) => {
        if (Date.now() - last < 250 && fraction < 1) return;
        last = Date.now();
        void job.updateProgress({ fraction, ...(detail ? { detail } : {}), worker: `${process.env.PIPELINE_WORKER_NAME ?? ""}` });
      },
      warn: (m) => void job.log(`warning: ${m}`),
    });
  } catch (error) {
    // a cancelled job (the coordinator's Ctrl-C) is not retried
    if (abort.aborted || error instanceof CancelledError) throw new JobRefused(`cancelled: ${abort.reason ?? "the coordinator stopped"}`);
    throw error;
  }
}
