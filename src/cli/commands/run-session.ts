import { availableParallelism } from "node:os";
import { loadPipeline } from "../../config/load.ts";
import { parseOverride } from "../../config/overrides.ts";
import { canonicalJson } from "../../core/hash.ts";
import { headlineMetrics } from "../../engine/stage-metrics.ts";
import { EXIT, UsageError } from "../../core/errors.ts";
import { selectStages } from "../../core/select.ts";
import { runPipeline, type RunOutcome } from "../../engine/run.ts";
import type { StageWorkers } from "../../engine/run-worker.ts";
import { newRunId, writeRunLog } from "../../engine/run-log.ts";
import { positiveInt } from "../args.ts";
import type { CliIO } from "../io.ts";
import { baseRunRequest, openProject, type Project } from "../project.ts";
import { lockProject } from "../project-lock.ts";
import { pickReporter } from "../reporters.ts";
import { ciJobId, describeRemote, openRemote } from "../../remote/open.ts";
import type { RemoteTier } from "../../remote/tier.ts";
import type { CheckResult } from "./check.ts";
import type { RunFlags } from "./run.ts";
import type { ShardPolicy } from "../../engine/run-sharded.ts";
import { parseShardFlag, parseShardsFlag, shardScope } from "../shard-flags.ts";
import type { ShardRange } from "../../core/shard.ts";
import type { BullmqRunner } from "../../queue/flow.ts";

/** `pipeline run` once its flags are parsed: lock, plan and run the stages, then --check/--report. */
export async function runWith(
  workers: StageWorkers | undefined,
  argv: readonly string[],
  values: RunFlags,
  positionals: string[],
  io: CliIO,
  variant?: Record<string, string>,
): Promise<number> {
  const log = values.json ? io.stderr : io.stdout;
  const project = await openProject(io.projectDir, (values.set ?? []).map(parseOverride), (m) => log(`warning: ${m}`));
  const config = (values.set ?? []).length === 0 || isYamlConfig(project) ? "yaml" : "override";
  const writeOutputs = !values.check && !values["dry-run"] && (config === "yaml" || values["write-outputs"] === true);
  if (
    config === "override" &&
    !values["write-outputs"] &&
    !values.check &&
    !values["dry-run"] &&
    project.pipeline.order.some((n) => project.pipeline.stages.get(n)!.outputs.length > 0)
  ) {
    log("note: --set changes pipeline.yaml's parameters, so the declared output files are left as they are (--write-outputs writes them)");
  }
  let scope = selectStages(project.pipeline, {
    targets: positionals,
    from: values.from,
    until: values.until,
    only: values.only,
    publish: values.publish ?? false,
  });
  const shard = parseShardFlag(values.shard, process.env);
  if (shard) scope = shardScope(project.pipeline, scope);
  const requested = parseShardsFlag(values.shards);
  const started = Date.now();
  const runId = newRunId(new Date(started));
  const runner = await openRunner(values, shard, runId, log); // an unreachable queue fails before the lock is taken
  // on a queue, as many shards as workers listen (at least 2) unless --shards says
  const count = runner && requested === undefined ? Math.max(2, await runner.workers()) : requested;
  const shards: ShardPolicy = { only: shard, requested: count, ...(runner ? { runner } : {}) };
  const forced = new Set(values["force-all"] ? project.pipeline.order : (values.force ?? []));
  for (const name of forced) selectStages(project.pipeline, { targets: [name], publish: false }); // validates the names

  await project.store.ensure();
  const remote = openRemote(project, (m) => log(`warning: ${m}`)); // a bad remote setting fails before the lock is taken
  const release = values["dry-run"]
    ? () => {}
    : await lockProject(project.store.root, io, { wait: !values["no-wait"], command: `pipeline run ${argv.join(" ")}`.trim(), log });
  try {
    const outcome = await execute(project, scope, forced, values, io, log, workers, { remote, runId, writeOutputs, shards });
    // uploads finish (or give up at their deadlines) before the run is recorded; Ctrl-C drops them
    await (io.signal.aborted ? remote?.abort() : remote?.close());
    if (!values["dry-run"])
      recordRun(project, outcome, {
        id: runId,
        started,
        argv,
        config,
        ...(values.name ? { name: values.name } : {}),
        ...(variant ? { variant } : {}),
      });
    const after = await afterRun(project, outcome, values, log, runId);
    const headline = headlineMetrics(outcome.results, project.pipeline.stages);
    summarize(outcome, after.exitCode, Date.now() - started, log);
    if (Object.keys(headline).length > 0)
      log(
        `metrics: ${Object.entries(headline)
          .map(([name, value]) => `${name} ${formatMetric(value)}`)
          .join(", ")}`,
      );
    if (remote) log(describeRemote(remote));
    if (values.json) io.stdout(jsonSummary(outcome, after, remote, headline));
    const exitCode = after.exitCode;
    return io.signal.aborted ? EXIT.interrupted : exitCode;
  } finally {
    await remote?.abort();
    await runner?.close();
    release();
  }
}

/** `--executor bullmq --queue URL`: the runner that queues shards as BullMQ flows (connected now). */
async function openRunner(
  values: RunFlags,
  shard: ShardRange | undefined,
  runId: string,
  log: (line: string) => void,
): Promise<BullmqRunner | undefined> {
  const executor = values.executor ?? "local";
  if (executor !== "local" && executor !== "bullmq") throw new UsageError(`--executor ${executor}: expected local or bullmq`);
  if (executor === "local") {
    if (values.queue) throw new UsageError("--queue is for --executor bullmq");
    return undefined;
  }
  if (shard) throw new UsageError("--shard computes one shard here; it does not go with --executor bullmq", "drop one of them");
  if (values["dry-run"]) return undefined;
  const { queueTarget } = await import("../../queue/connection.ts");
  const { openBullmqRunner } = await import("../../queue/flow.ts");
  const runner = await openBullmqRunner(queueTarget(values.queue), runId);
  const workers = await runner.workers();
  if (workers === 0) log(`note: no \`pipeline worker\` is listening on ${runner.name} yet; queued shards wait for one`);
  return runner;
}

async function execute(
  project: Project,
  scope: Set<string>,
  forced: Set<string>,
  values: RunFlags,
  io: CliIO,
  log: (line: string) => void,
  workers: StageWorkers | undefined,
  extra: { remote: RemoteTier | undefined; runId: string; writeOutputs: boolean; shards: ShardPolicy },
): Promise<RunOutcome> {
  const reporter = await pickReporter({ isTTY: io.isTTY, json: values.json ?? false, verbose: values.verbose ?? false, write: log });
  const outcome = await runPipeline({
    ...baseRunRequest(project),
    scope,
    forced,
    jobs: positiveInt("--jobs", values.jobs, availableParallelism()),
    threads: positiveInt("--threads", values.threads, availableParallelism()),
    dryRun: values["dry-run"] ?? false,
    writeOutputs: extra.writeOutputs,
    keepGoing: values["keep-going"] ?? false,
    signal: io.signal,
    emit: (e) => reporter.onEvent(e),
    execute: workers?.execute ?? (() => Promise.reject(new Error("a dry run never executes a stage"))),
    runId: extra.runId,
    shards: extra.shards,
    ...(extra.remote ? { remote: extra.remote } : {}),
    ...(ciJobId(process.env) ? { ciJob: ciJobId(process.env)! } : {}),
  });
  await reporter.close();
  project.hasher.save();
  return outcome;
}

/** --check and --report, once the stages are done: the run's exit code, and what --check found. */
async function afterRun(
  project: Project,
  outcome: RunOutcome,
  values: RunFlags,
  log: (line: string) => void,
  runId: string,
): Promise<{ exitCode: number; check?: CheckResult[] }> {
  let exitCode = outcome.exitCode;
  let check: CheckResult[] | undefined;
  if (values.check && outcome.ok) {
    const { checkOutputs } = await import("./check.ts"); // parquet reading: only --check needs it
    check = await checkOutputs(project, outcome, log);
    exitCode = check.every((c) => c.state === "same" || c.state === "same-except-measured") ? EXIT.ok : EXIT.checkDiffers;
  }
  if (values.report && outcome.ok && !values["dry-run"]) {
    const { writeReportFor } = await import("./report.ts");
    const { sourceFromOutcome } = await import("./report-source.ts");
    log(`report written to ${await writeReportFor(project, sourceFromOutcome(project, outcome, runId, values.set ?? []), undefined)}`);
  }
  return { exitCode, ...(check ? { check } : {}) };
}

interface RunRecord {
  id: string;
  started: number;
  argv: readonly string[];
  config: "yaml" | "override";
  name?: string;
  variant?: Record<string, string>;
}

function recordRun(project: Project, outcome: RunOutcome, record: RunRecord): void {
  const { id, started, argv } = record;
  const params = Object.fromEntries([...project.pipeline.stages].map(([name, s]) => [name, s.params]));
  writeRunLog(project.store.root, {
    id,
    started: new Date(started).toISOString(),
    ms: Date.now() - started,
    ok: outcome.ok,
    command: ["run", ...argv].join(" "),
    config: record.config,
    ...(record.name ? { name: record.name } : {}),
    ...(record.variant ? { variant: record.variant } : {}),
    seed: project.pipeline.seed,
    params,
    inputBytesHashed: project.hasher.bytesHashed,
    stages: outcome.results,
  });
}

function summarize(outcome: RunOutcome, exitCode: number, ms: number, log: (line: string) => void): void {
  const count = (status: string) => outcome.results.filter((r) => r.status === status).length;
  const wouldRun = count("would-run") > 0 ? `${count("would-run")} would run, ` : "";
  const verdict = !outcome.ok ? "failed" : exitCode === EXIT.checkDiffers ? "check failed" : "ok";
  const tally = `${count("ran")} ran, ${wouldRun}${count("cached")} cached, ${count("skipped")} skipped, ${count("failed")} failed`;
  log(`${verdict}: ${tally} in ${(ms / 1000).toFixed(2)}s`);
  const failedStage = outcome.results.find((r) => r.status === "failed");
  if (failedStage) {
    log(`error: stage ${failedStage.name} failed: ${failedStage.reason}`);
    if (failedStage.hint) log(`hint: ${failedStage.hint}`);
  }
}

function jsonSummary(
  outcome: RunOutcome,
  after: { exitCode: number; check?: CheckResult[] },
  remote: RemoteTier | undefined,
  metrics: Record<string, number>,
): string {
  const { hits, misses, downloaded_bytes, uploaded_bytes, errors } = remote?.stats ?? {};
  return JSON.stringify({
    ok: outcome.ok && after.exitCode === EXIT.ok,
    ...(Object.keys(metrics).length > 0 ? { metrics } : {}),
    ...(after.check ? { check: after.check } : {}),
    ...(remote ? { remote: { hits, misses, downloaded_bytes, uploaded_bytes, errors } } : {}),
    stages: outcome.results.map((r) => ({
      name: r.name,
      status: r.status,
      ms: r.ms,
      key: r.key,
      reason: r.reason,
      ...(r.from ? { from: r.from } : {}),
      ...(r.shards ? { shards: r.shards } : {}),
      ...(r.metrics ? { metrics: r.metrics } : {}),
      ...(r.reasons ? { reasons: r.reasons } : {}),
    })),
  });
}

/** Whether the run's seed and every stage's params are pipeline.yaml's own (no --set changed them). */
function isYamlConfig(project: Project): boolean {
  const yaml = loadPipeline(
    project.pipeline.dir,
    project.registry.map((r) => r.def),
  );
  if (yaml.seed !== project.pipeline.seed) return false;
  return [...project.pipeline.stages].every(
    ([name, stage]) => canonicalJson(stage.params) === canonicalJson(yaml.stages.get(name)?.params),
  );
}

/** 0.7703, 0.34, 2.081e+7: four significant digits, exponent form for large values. */
function formatMetric(value: number): string {
  return Math.abs(value) >= 1e5 ? value.toExponential(3) : String(Number(value.toPrecision(4)));
}
