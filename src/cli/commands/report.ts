import { basename, join, resolve } from "node:path";
import { decodeArtifact } from "../../cache/codec.ts";
import { writeFileAtomic } from "../../cache/atomic.ts";
import type { Matrix, SlotKind, SlotValues, Table } from "../../core/artifact.ts";
import { EXIT, PipelineError, UsageError } from "../../core/errors.ts";
import { deriveSeed } from "../../core/hash.ts";
import { readRunLogs } from "../../engine/run-log.ts";
import { buildExpTable } from "../../exp/table.ts";
import { REPORT_MAX_POINTS, selectReportPoints, type ReportData, type ReportMetrics } from "../../report/data.ts";
import { FIT_INPUTS, FIT_STAGE, findReportParts, stagesOf } from "../../report/parts.ts";
import { renderReport } from "../../report/render.ts";
import { buildRunsView } from "../../report/runs.ts";
import { parseCommandArgs } from "../args.ts";
import type { CliIO } from "../io.ts";
import { openProject, type Project } from "../project.ts";
import { singleConfiguration, sourceFromPlan, sourceFromRun, type ReportSource } from "./report-source.ts";

export const REPORT_HELP = `usage: pipeline report [--out FILE] [--set STAGE.PARAM=V]... | [--run ID|NAME]

Writes one self-contained HTML page (default report/index.html) from cached results: the 3-D
scatter (phase / predicted / cluster, with the details of the point under the pointer),
confusion matrix, per-class scores, latencies, projector diagnostics, stage timings, the
parameters, and a runs section (the exp show table and a chart of a chosen metric against
each parameter that differs between the recorded runs).

It draws pipeline.yaml's configuration, or that configuration with the --set overrides (as
\`pipeline run --set\` takes them, one value each), or a recorded run with --run (an id, id
prefix or name, as \`pipeline exp show\` lists them). The parameters shown are always those of
what it draws. It never computes anything: when a stage it needs is not cached it says which
and exits 1.

The scatter is the fit of the first stage that uses write-fit (whatever its name; without one,
exit 3); the scores come from a stage that evaluates that fit's predictions and the diagnostics
from the stage that made its xyz. A part no stage feeds is left out, and the page says how to add it.`;

export async function reportCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("report", argv, {
    out: { type: "string" },
    set: { type: "string", multiple: true },
    run: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(REPORT_HELP);
    return EXIT.ok;
  }
  if (values.run !== undefined && (values.set ?? []).length > 0) {
    throw new UsageError(
      "report: --run draws a recorded run with its own parameters, so it takes no --set",
      "give either --run ID or --set STAGE.PARAM=V",
    );
  }
  const sets = singleConfiguration(values.set ?? []);
  const warn = (m: string) => io.stderr(`warning: ${m}`);
  let project: Project;
  let source: ReportSource;
  if (values.run !== undefined) {
    project = await openProject(io.projectDir, [], warn);
    source = sourceFromRun(
      readRunLogs(project.store.root),
      values.run,
      project.registry.map((r) => r.def),
    );
  } else {
    ({ project, source } = await sourceFromPlan(io.projectDir, sets, warn));
  }
  const out = values.out ? resolve(io.cwd, values.out) : undefined;
  io.stdout(`report written to ${await writeReportFor(project, source, out)}`);
  return EXIT.ok;
}

/** Builds the page from the outputs of `source`, and writes it atomically. */
export async function writeReportFor(project: Project, source: ReportSource, out: string | undefined): Promise<string> {
  const parts = findReportParts(source.wiring);
  if (!parts) throw noFitError(source);
  const needed = [...Object.values(parts.scatter), parts.evaluation, parts.projection].filter((ref): ref is string => ref !== undefined);
  const missing = needed.filter((ref) => !source.known.has(ref));
  if (missing.length > 0) {
    throw new PipelineError(`the report needs ${stagesOf(missing).join(", ")}, which ${source.lacking}`, {
      code: "E_REPORT_INPUTS",
      exitCode: EXIT.stageFailed,
      hint: source.fix,
    });
  }
  const readNeeded = async (ref: string) => [ref, await project.store.readObject(source.known.get(ref)!.hash)] as const;
  const objects = new Map(await Promise.all(needed.map(readNeeded)));
  const read = <K extends SlotKind>(ref: string, kind: K): SlotValues[K] => {
    const bytes = objects.get(ref);
    if (!bytes)
      throw new PipelineError(`cache object for ${ref} of ${source.drawn} is missing or damaged`, {
        code: "E_REPORT_INPUTS",
        exitCode: EXIT.stageFailed,
        hint: source.fix,
      });
    return decodeArtifact(kind, bytes);
  };
  const meta = read(parts.scatter.meta, "table") as Table;
  const predictions = read(parts.scatter.predictions, "table") as Table;
  const logs = readRunLogs(project.store.root);
  const data: ReportData = {
    title: "pipeline fit report",
    generatedFrom: basename(project.pipeline.dir),
    points: selectReportPoints(
      {
        xyz: read(parts.scatter.xyz, "matrix") as Matrix,
        phase: meta.phase as Int8Array,
        predicted: predictions.predicted as Int8Array,
        cluster: (read(parts.scatter.clusters, "table") as Table).cluster as Int32Array,
        isTrain: predictions.is_train as Uint8Array,
        episode: meta.episode_id as string[],
      },
      REPORT_MAX_POINTS,
      deriveSeed(source.seed, "report"),
    ),
    metrics: parts.evaluation === undefined ? undefined : (read(parts.evaluation, "json") as unknown as ReportMetrics),
    projection: parts.projection === undefined ? undefined : (read(parts.projection, "json") as Record<string, unknown>),
    notes: parts.notes,
    drawn: source.drawn,
    runId: source.runId,
    stages: source.stages.map((s) => ({ name: s.name, status: s.status, ms: s.ms, key: s.key ?? "" })),
    params: source.params,
    seed: source.seed,
    runs: buildRunsView(buildExpTable(logs), { preferred: headlineColumns(project), current: source.runId }),
  };
  const target = out ?? join(project.pipeline.dir, "report", "index.html");
  writeFileAtomic(target, Buffer.from(renderReport(data)));
  return target;
}

/**
 * No stage draws a fit: in pipeline.yaml a config error (exit 3) with the stage to add; in a
 * recorded run, that run's shortcoming (exit 1).
 */
function noFitError(source: ReportSource): PipelineError {
  const why = `the report draws the fit a stage that uses ${FIT_STAGE} makes (the 3-D scatter of its ${FIT_INPUTS.join(", ")} inputs)`;
  if (source.wiredBy === "run") {
    return new PipelineError(`${why}, and ${source.drawn} ran or restored no such stage`, {
      code: "E_REPORT_STAGES",
      exitCode: EXIT.stageFailed,
      hint: source.fix,
    });
  }
  return new PipelineError(`${why}, and pipeline.yaml has no such stage`, {
    code: "E_REPORT_STAGES",
    exitCode: EXIT.config,
    hint:
      `add one under stages: in pipeline.yaml, wired to your stages' outputs, e.g.\n` +
      `  write-fit:\n    inputs: { meta: load.meta, xyz: project.xyz, predictions: classify.predictions, clusters: cluster.labels }\n` +
      `  (the shipped pipeline.yaml wires one so)`,
  });
}

/** The stages' declared headline metrics as `STAGE.METRIC`, in pipeline order: the charts' first metric. */
function headlineColumns(project: Project): string[] {
  return project.pipeline.order.flatMap((name) =>
    Object.values(project.pipeline.stages.get(name)!.def.outputs).flatMap((spec) =>
      (spec.headline ?? []).map((metric) => `${name}.${metric}`),
    ),
  );
}
