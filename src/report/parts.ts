/**
 * Which outputs the report draws, found from the stage definitions and their wiring, never from
 * the stage names of the shipped pipeline.yaml (a stage renamed `knn` or `embed` draws the same):
 *
 *   the fit      the first stage that uses write-fit; its inputs meta, xyz, predictions and
 *                clusters are the scatter's columns, whatever stages they come from
 *   evaluation   the first stage with an input wired to the fit's predictions and a json output
 *                that declares the fields the summary, confusion matrix and per-phase scores read
 *                (evaluate's metrics); without one those sections are left out, and the page says so
 *   projection   the first json output of the stage that made the fit's xyz (project's info)
 */
import type { StageResult } from "../core/events.ts";
import type { ResolvedPipeline } from "../core/graph.ts";
import type { AnyStage } from "../core/stage.ts";

/** A stage as the report sees it: the definition it uses and where each of its inputs comes from. */
export interface WiredStage {
  readonly name: string;
  /** undefined when its definition is not known here (a run of a plugin stage since removed) */
  readonly def: AnyStage | undefined;
  /** input slot -> "stage.output" it reads */
  readonly inputs: Readonly<Record<string, string>>;
}

/** The built-in stage whose inputs are the scatter's columns. */
export const FIT_STAGE = "write-fit";
export const FIT_INPUTS = ["meta", "xyz", "predictions", "clusters"] as const;
export type FitInput = (typeof FIT_INPUTS)[number];

/** The fields of an evaluation json the report reads (evaluate's metrics declares them). */
export const EVALUATION_FIELDS = ["split", "k", "n_train", "n_test", "macro_f1", "per_class", "confusion", "latency"] as const;

export interface ReportParts {
  /** the stage whose fit the scatter draws */
  fitStage: string;
  /** "stage.output" of each scatter column */
  scatter: Record<FitInput, string>;
  /** "stage.output" of the evaluation json, when a stage scores the fit's predictions */
  evaluation: string | undefined;
  /** "stage.output" of the projector's diagnostics */
  projection: string | undefined;
  /** what the page leaves out or chose, and how to change it, for the reader */
  notes: string[];
}

/** pipeline.yaml's stages, in pipeline order, with their wiring. */
export function wiringOfPipeline(pipeline: ResolvedPipeline): WiredStage[] {
  return pipeline.order.map((name) => {
    const stage = pipeline.stages.get(name)!;
    const inputs: Record<string, string> = {};
    for (const b of stage.inputs) if (b.kind === "ref") inputs[b.slot] = `${b.stage}.${b.output}`;
    return { name, def: stage.def, inputs };
  });
}

/**
 * The stages a recorded run ran or restored, wired as that run was: each input's recorded content
 * hash names the output that held those bytes. So a run draws as it was made, whatever
 * pipeline.yaml says today.
 */
export function wiringOfRun(stages: readonly StageResult[], defOf: (uses: string) => AnyStage | undefined): WiredStage[] {
  const done = stages.filter((s) => (s.status === "ran" || s.status === "cached") && s.parts);
  const producer = new Map<string, string>();
  for (const stage of done) {
    for (const [slot, ref] of Object.entries(stage.outputs ?? {}))
      if (!producer.has(ref.hash)) producer.set(ref.hash, `${stage.name}.${slot}`);
  }
  return done.map((stage) => {
    const parts = stage.parts as { uses?: unknown; inputs?: Record<string, string> };
    const inputs: Record<string, string> = {};
    for (const [slot, hash] of Object.entries(parts.inputs ?? {})) {
      const ref = producer.get(hash);
      if (ref) inputs[slot] = ref;
    }
    return { name: stage.name, def: defOf(typeof parts.uses === "string" ? parts.uses : stage.name), inputs };
  });
}

/** The parts of the page, or undefined when no stage draws a fit (the report's one required part). */
export function findReportParts(stages: readonly WiredStage[]): ReportParts | undefined {
  const fits = stages.filter((s) => s.def?.name === FIT_STAGE && FIT_INPUTS.every((slot) => s.inputs[slot] !== undefined));
  const fit = fits[0];
  if (!fit) return undefined;
  const scatter = Object.fromEntries(FIT_INPUTS.map((slot) => [slot, fit.inputs[slot]!])) as Record<FitInput, string>;
  const notes: string[] = [];
  if (fits.length > 1) {
    notes.push(`${fits.length} stages use ${FIT_STAGE} (${fits.map((s) => s.name).join(", ")}); this page draws the first, ${fit.name}`);
  }
  const evaluation = _evaluationOf(stages, scatter.predictions);
  if (!evaluation) {
    notes.push(
      "no macro F1, confusion matrix, per-phase scores or latencies: " +
        `no stage scores the predictions this fit draws (${scatter.predictions}); ` +
        `add one that uses evaluate, with \`predictions: ${scatter.predictions}\``,
    );
  }
  const projector = stages.find((s) => s.name === _stageOf(scatter.xyz));
  const info = Object.entries(projector?.def?.outputs ?? {}).find(([, spec]) => spec.kind === "json")?.[0];
  if (!info) notes.push(`no projection diagnostics: ${scatter.xyz} comes from a stage with no json output`);
  return { fitStage: fit.name, scatter, evaluation, projection: info ? `${projector!.name}.${info}` : undefined, notes };
}

/** Every stage name the parts read from, in the order given. */
export function stagesOf(refs: readonly string[]): string[] {
  return [...new Set(refs.map(_stageOf))];
}

function _evaluationOf(stages: readonly WiredStage[], predictions: string): string | undefined {
  for (const stage of stages) {
    if (!Object.values(stage.inputs).includes(predictions)) continue;
    const slot = Object.entries(stage.def?.outputs ?? {}).find(
      ([, spec]) => spec.kind === "json" && EVALUATION_FIELDS.every((field) => spec.fields?.includes(field)),
    )?.[0];
    if (slot) return `${stage.name}.${slot}`;
  }
  return undefined;
}

function _stageOf(ref: string): string {
  return ref.slice(0, ref.lastIndexOf("."));
}
