import { EXIT } from "../../core/errors.ts";
import { StageWorkers } from "../../engine/run-worker.ts";
import { parseCommandArgs } from "../args.ts";
import type { CliIO } from "../io.ts";

export const RUN_HELP = `usage: pipeline run [STAGE...] [options]

Runs the stages of pipeline.yaml that are not cached (and their ancestors when STAGE is named).
A plain run never runs publish; name it or add --publish.

options:
  --from S            S and everything downstream of it (its inputs must be cached)
  --until S           S and everything it depends on
  --only S            S alone (its inputs must be cached)
  --force S           rerun S even when cached (repeatable); --force-all reruns everything
  --set STAGE.P=V     override a parameter without editing the yaml (repeatable); --set seed=N.
                      A top-level comma sweeps: --set cluster.k=5,8,12 --set project.method=pca,lda
                      runs the 6 variants one after another, each a recorded run (a list value
                      is written in brackets: [a,b])
  --name NAME         label the run (or each variant of a sweep) for \`pipeline exp show\`; gc keeps it
  --write-outputs     write the declared output files even when --set changed the parameters
                      (by default only pipeline.yaml's own configuration writes them)
  --fail-fast         stop a sweep at its first failing variant
  --dry-run           show what would run and why, run nothing
  --check             compute outputs into the cache and compare with the files on disk
                      without touching them: exit 0 if identical, 5 otherwise
  --keep-going        after a failure, still run the stages that do not depend on it
  --publish           also run publish (the only stage that uses the network)
  --report            write report/index.html at the end
  --jobs N            stages run at once (default: number of cores)
  --threads N         worker threads a stage may use (default: number of cores);
                      results are identical whatever N
  --shard I/N         compute only shard I (0-based) of N of each sharded stage (classify) that is
                      not cached, after what it needs upstream, and push it to the remote cache;
                      a later plain run merges the shards. --shard env/N takes I from
                      JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs)
  --shards N          compute sharded stages that miss in N shards (each cached on its own)
  --executor E        local (default): shards run here; bullmq: on \`pipeline worker\` processes
  --queue URL         the Redis of --executor bullmq: redis://HOST:PORT
  --no-wait           fail instead of waiting when another run holds the project
  --json              end with one JSON line: {"ok", "stages": [...]}
  --verbose           print stage log lines`;

const OPTIONS = {
  from: { type: "string" },
  until: { type: "string" },
  only: { type: "string" },
  force: { type: "string", multiple: true },
  "force-all": { type: "boolean" },
  set: { type: "string", multiple: true },
  "dry-run": { type: "boolean" },
  check: { type: "boolean" },
  "keep-going": { type: "boolean" },
  publish: { type: "boolean" },
  report: { type: "boolean" },
  jobs: { type: "string" },
  threads: { type: "string" },
  "no-wait": { type: "boolean" },
  json: { type: "boolean" },
  verbose: { type: "boolean" },
  name: { type: "string" },
  "write-outputs": { type: "boolean" },
  "fail-fast": { type: "boolean" },
  shard: { type: "string" },
  shards: { type: "string" },
  executor: { type: "string" },
  queue: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export type RunFlags = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>["values"];

export async function runCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs("run", argv, OPTIONS, true);
  if (values.help) {
    io.stdout(RUN_HELP);
    return EXIT.ok;
  }
  // the first stage worker boots while the rest of the command loads and the project is read
  // and planned: this module imports little so that it starts early (its boot is ~0.25 s)
  const workers = values["dry-run"] ? undefined : new StageWorkers();
  try {
    const { runSweep } = await import("./run-sweep.ts");
    return await runSweep(workers, argv, values, positionals, io);
  } finally {
    await workers?.close();
  }
}
