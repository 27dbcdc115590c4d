import { availableParallelism } from "node:os";
import { join } from "node:path";
import { acquireLock } from "../../cache/lock.ts";
import { parseOverride } from "../../config/overrides.ts";
import { EXIT } from "../../core/errors.ts";
import { selectStages } from "../../core/select.ts";
import { runPipeline, type RunOutcome } from "../../engine/run.ts";
import { StageWorkers } from "../../engine/run-worker.ts";
import { newRunId, writeRunLog } from "../../engine/run-log.ts";
import { parseCommandArgs, positiveInt } from "../args.ts";
import type { CliIO } from "../io.ts";
import { baseRunRequest, openProject, type Project } from "../project.ts";
import { pickReporter } from "../reporters.ts";

export const RUN_HELP = `usage: pipeline run [STAGE...] [options]

Runs the stages of pipeline.yaml that are not cached (and their ancestors when STAGE is named).
A plain run never runs publish; name it or add --publish.

options:
  --from S            S and everything downstream of it (its inputs must be cached)
  --until S           S and everything it depends on
  --only S            S alone (its inputs must be cached)
  --force S           rerun S even when cached (repeatable); --force-all reruns everything
  --set STAGE.P=V     override a parameter without editing the yaml (repeatable); --set seed=N
  --dry-run           show what would run and why, run nothing
  --check             compute outputs into the cache and compare with the files on disk
                      without touching them: exit 0 if identical, 5 otherwise
  --keep-going        after a failure, still run the stages that do not depend on it
  --publish           also run publish (the only stage that uses the network)
  --report            write report/index.html at the end
  --jobs N            stages run at once (default: number of cores)
  --threads N         worker threads a stage may use (default: number of cores);
                      results are identical whatever N
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
  help: { type: "boolean", short: "h" },
} as const;

type RunFlags = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>["values"];

export async function runCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs("run", argv, OPTIONS, true);
  if (values.help) {
    io.stdout(RUN_HELP);
    return EXIT.ok;
  }
  // the first stage worker boots while the project is read and planned
  const workers = values["dry-run"] ? undefined : new StageWorkers();
  try {
    return await runWith(workers, argv, values, positionals, io);
  } finally {
    await workers?.close();
  }
}

async function runWith(workers: StageWorkers | undefined, argv: readonly string[], values: RunFlags, positionals: string[], io: CliIO): Promise<number> {
  const log = values.json ? io.stderr : io.stdout;
  const project = await openProject(io.projectDir, (values.set ?? []).map(parseOverride), (m) => log(`warning: ${m}`));
  const scope = selectStages(project.pipeline, { targets: positionals, from: values.from, until: values.until, only: values.only, publish: values.publish ?? false });
  const forced = new Set(values["force-all"] ? project.pipeline.order : (values.force ?? []));
  for (const name of forced) selectStages(project.pipeline, { targets: [name], publish: false }); // validates the names

  project.store.ensure();
  const release = values["dry-run"]
    ? () => {}
    : await acquireLock(join(project.store.root, "lock"), {
        wait: !values["no-wait"],
        command: `pipeline run ${argv.join(" ")}`.trim(),
        onWait: (h) => log(`waiting for another run of this project (pid ${h.pid} on ${h.host}, since ${h.since})`),
        signal: io.signal,
      });
  try {
    const started = Date.now();
    const outcome = await execute(project, scope, forced, values, io, log, workers);
    if (!values["dry-run"]) recordRun(project, outcome, started, argv);
    const exitCode = await afterRun(project, outcome, values, log);
    summarize(outcome, Date.now() - started, log);
    if (values.json) io.stdout(jsonSummary(outcome, exitCode));
    return io.signal.aborted ? EXIT.interrupted : exitCode;
  } finally {
    release();
  }
}

async function execute(project: Project, scope: Set<string>, forced: Set<string>, values: RunFlags, io: CliIO, log: (line: string) => void, workers: StageWorkers | undefined): Promise<RunOutcome> {
  const reporter = await pickReporter({ isTTY: io.isTTY, json: values.json ?? false, verbose: values.verbose ?? false, write: log });
  const outcome = await runPipeline({
    ...baseRunRequest(project),
    scope,
    forced,
    jobs: positiveInt("--jobs", values.jobs, availableParallelism()),
    threads: positiveInt("--threads", values.threads, availableParallelism()),
    dryRun: values["dry-run"] ?? false,
    writeOutputs: !values.check && !values["dry-run"],
    keepGoing: values["keep-going"] ?? false,
    signal: io.signal,
    emit: (e) => reporter.onEvent(e),
    execute: workers?.execute ?? (() => Promise.reject(new Error("a dry run never executes a stage"))),
  });
  await reporter.close();
  project.hasher.save();
  return outcome;
}

/** --check and --report, once the stages are done; returns the run's exit code. */
async function afterRun(project: Project, outcome: RunOutcome, values: RunFlags, log: (line: string) => void): Promise<number> {
  let exitCode = outcome.exitCode;
  if (values.check && outcome.ok) {
    const { checkOutputs } = await import("./check.ts"); // parquet reading: only --check needs it
    exitCode = checkOutputs(project, outcome, log) ? EXIT.ok : EXIT.checkDiffers;
  }
  if (values.report && outcome.ok && !values["dry-run"]) {
    const { writeReportFor } = await import("./report.ts");
    log(`report written to ${await writeReportFor(project, outcome, undefined)}`);
  }
  return exitCode;
}

function recordRun(project: Project, outcome: RunOutcome, started: number, argv: readonly string[]): void {
  const params = Object.fromEntries([...project.pipeline.stages].map(([name, s]) => [name, s.params]));
  writeRunLog(project.store.root, {
    id: newRunId(new Date(started)),
    started: new Date(started).toISOString(),
    ms: Date.now() - started,
    ok: outcome.ok,
    command: ["run", ...argv].join(" "),
    seed: project.pipeline.seed,
    params,
    inputBytesHashed: project.hasher.bytesHashed,
    stages: outcome.results,
  });
}

function summarize(outcome: RunOutcome, ms: number, log: (line: string) => void): void {
  const count = (status: string) => outcome.results.filter((r) => r.status === status).length;
  log(`${outcome.ok ? "ok" : "failed"}: ${count("ran")} ran, ${count("cached")} cached, ${count("skipped")} skipped, ${count("failed")} failed in ${(ms / 1000).toFixed(2)}s`);
  const failedStage = outcome.results.find((r) => r.status === "failed");
  if (failedStage) {
    log(`error: stage ${failedStage.name} failed: ${failedStage.reason}`);
    if (failedStage.hint) log(`hint: ${failedStage.hint}`);
  }
}

function jsonSummary(outcome: RunOutcome, exitCode: number): string {
  return JSON.stringify({
    ok: outcome.ok && exitCode === EXIT.ok,
    stages: outcome.results.map((r) => ({ name: r.name, status: r.status, ms: r.ms, key: r.key, reason: r.reason })),
  });
}
