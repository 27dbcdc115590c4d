import { basename, join, resolve } from "node:path";
import { decodeArtifact } from "../../cache/codec.ts";
import type { ObjectRef } from "../../cache/store.ts";
import { writeFileAtomic } from "../../cache/atomic.ts";
import type { Matrix, SlotKind, SlotValues, Table } from "../../core/artifact.ts";
import { EXIT, PipelineError } from "../../core/errors.ts";
import { deriveSeed } from "../../core/hash.ts";
import type { RunOutcome } from "../../engine/run.ts";
import { readRunLogs } from "../../engine/run-log.ts";
import { REPORT_MAX_POINTS, selectReportPoints, type ReportData, type ReportMetrics } from "../../report/data.ts";
import { renderReport } from "../../report/render.ts";
import { parseCommandArgs } from "../args.ts";
import type { CliIO } from "../io.ts";
import { openProject, type Project } from "../project.ts";
import { planProject } from "./plan.ts";

export const REPORT_HELP = `usage: pipeline report [--out FILE]

Writes one self-contained HTML page (default report/index.html) from the cached results of the
current pipeline.yaml: the 3-D scatter (phase / predicted / cluster), confusion matrix,
per-class scores, latencies, projector diagnostics, stage timings and parameters. It never
computes anything: when a stage it needs is not cached it says which and exits 1.`;

/** The outputs the page is drawn from, as "stage.output" of the shipped pipeline. */
const NEEDED = ["load.meta", "project.xyz", "project.info", "cluster.labels", "classify.predictions", "evaluate.metrics"] as const;

export async function reportCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("report", argv, { out: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.stdout(REPORT_HELP);
    return EXIT.ok;
  }
  const project = await openProject(io.projectDir, [], (m) => io.stderr(`warning: ${m}`));
  const rows = await planProject(project);
  const known = new Map<string, ObjectRef>();
  for (const row of rows) {
    if (row.result.status !== "cached") continue; // "outputs changed" is cached too
    for (const [slot, ref] of Object.entries(row.result.outputs ?? {})) known.set(`${row.stage}.${slot}`, ref);
  }
  const out = values.out ? resolve(io.cwd, values.out) : undefined;
  io.stdout(`report written to ${await writeReportFor(project, { known }, out)}`);
  return EXIT.ok;
}

/** Builds the page from the outputs a run (or the plan) found, and writes it atomically. */
export async function writeReportFor(project: Project, outcome: Pick<RunOutcome, "known">, out: string | undefined): Promise<string> {
  const missing = NEEDED.filter((ref) => !outcome.known.has(ref));
  if (missing.length > 0) {
    throw new PipelineError(`the report needs ${missing.map((m) => m.split(".")[0]).join(", ")}, which are not cached for the current pipeline.yaml`, {
      code: "E_REPORT_INPUTS",
      exitCode: EXIT.stageFailed,
      hint: "run `pipeline run` first (or `pipeline run --report`)",
    });
  }
  const read = <K extends SlotKind>(ref: string, kind: K): SlotValues[K] => {
    const bytes = project.store.getObject(outcome.known.get(ref)!.hash);
    if (!bytes) throw new PipelineError(`cache object for ${ref} is missing or damaged`, { code: "E_REPORT_INPUTS", exitCode: EXIT.stageFailed, hint: "run `pipeline run` to rebuild it" });
    return decodeArtifact(kind, bytes);
  };
  const meta = read("load.meta", "table") as Table;
  const predictions = read("classify.predictions", "table") as Table;
  const seed = project.pipeline.seed;
  const lastRun = readRunLogs(project.store.root, 1)[0];
  const data: ReportData = {
    title: "pipeline fit report",
    generatedFrom: basename(project.pipeline.dir),
    points: selectReportPoints(
      {
        xyz: read("project.xyz", "matrix") as Matrix,
        phase: meta.phase as Int8Array,
        predicted: predictions.predicted as Int8Array,
        cluster: (read("cluster.labels", "table") as Table).cluster as Int32Array,
        isTrain: predictions.is_train as Uint8Array,
      },
      REPORT_MAX_POINTS,
      deriveSeed(seed, "report"),
    ),
    metrics: read("evaluate.metrics", "json") as unknown as ReportMetrics,
    projection: read("project.info", "json") as Record<string, unknown>,
    stages: (lastRun?.stages ?? []).map((s) => ({ name: s.name, status: s.status, ms: s.ms, key: s.key ?? "" })),
    params: Object.fromEntries([...project.pipeline.stages].map(([name, s]) => [name, s.params as Record<string, unknown>])),
    seed,
  };
  const target = out ?? join(project.pipeline.dir, "report", "index.html");
  writeFileAtomic(target, Buffer.from(renderReport(data)));
  return target;
}
