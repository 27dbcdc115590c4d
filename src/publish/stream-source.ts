/**
 * Where `pipeline stream` finds what it replays when no flag names it, from the stage definitions
 * and pipeline.yaml's wiring, never from the shipped stage names or paths:
 *
 *   a publish stage   the first stage that uses publish: the outputs wired to its fit and metrics
 *                     inputs, written to the files their stages declare under `outputs:`; its
 *                     params are stream's defaults
 *   without one       the fit the report draws (the first stage that uses write-fit) and the
 *                     evaluation of its predictions (report/parts.ts)
 */
import type { ResolvedPipeline, ResolvedStage } from "../core/graph.ts";
import { findReportParts, wiringOfPipeline } from "../report/parts.ts";

/** The built-in stage whose inputs stream replays and whose params are stream's defaults. */
export const PUBLISH_STAGE = "publish";
export const STREAMED_INPUTS = ["fit", "metrics"] as const;
export type StreamedInput = (typeof STREAMED_INPUTS)[number];

/** A file pipeline.yaml writes an output to: absolute, and as the yaml spells it. */
export interface DeclaredFile {
  readonly path: string;
  readonly display: string;
}

/** Why pipeline.yaml names no file for an input, and how to give it one. */
export interface MissingFile {
  readonly lack: string;
  readonly hint: string;
}

export interface StreamSource {
  /** the publish stage and its params (defaults applied), when pipeline.yaml has one */
  readonly publish: { readonly stage: string; readonly params: Readonly<Record<string, unknown>> } | undefined;
  readonly files: Readonly<Record<StreamedInput, DeclaredFile | MissingFile>>;
}

export function streamSource(pipeline: ResolvedPipeline): StreamSource {
  const publish = pipeline.order.map((name) => pipeline.stages.get(name)!).find((stage) => stage.def.name === PUBLISH_STAGE);
  const refs = publish ? _publishRefs(publish) : _reportRefs(pipeline);
  const files = Object.fromEntries(STREAMED_INPUTS.map((input) => [input, _fileOf(pipeline, refs[input], input)])) as StreamSource["files"];
  return { publish: publish ? { stage: publish.name, params: publish.params as Record<string, unknown> } : undefined, files };
}

export function isDeclared(file: DeclaredFile | MissingFile): file is DeclaredFile {
  return "path" in file;
}

function _publishRefs(publish: ResolvedStage): Record<StreamedInput, string | undefined> {
  const refOf = (slot: string) => publish.inputs.flatMap((b) => (b.kind === "ref" && b.slot === slot ? [`${b.stage}.${b.output}`] : []))[0];
  return { fit: refOf("fit"), metrics: refOf("metrics") };
}

function _reportRefs(pipeline: ResolvedPipeline): Record<StreamedInput, string | undefined> {
  const parts = findReportParts(wiringOfPipeline(pipeline));
  if (!parts) return { fit: undefined, metrics: undefined };
  const fitSlot = Object.entries(pipeline.stages.get(parts.fitStage)!.def.outputs).find(([, spec]) => spec.kind === "file")?.[0];
  return { fit: fitSlot ? `${parts.fitStage}.${fitSlot}` : undefined, metrics: parts.evaluation };
}

function _fileOf(pipeline: ResolvedPipeline, ref: string | undefined, input: StreamedInput): DeclaredFile | MissingFile {
  if (ref === undefined) {
    const what = input === "fit" ? "a fit (a stage that uses write-fit)" : "metrics (a stage that uses evaluate)";
    return {
      lack: `pipeline.yaml has no stage that uses ${PUBLISH_STAGE}, nor ${what} to replay`,
      hint: `give --${input} PATH, or add the stage to pipeline.yaml (the shipped one has both)`,
    };
  }
  const dot = ref.lastIndexOf(".");
  const [stage, slot] = [ref.slice(0, dot), ref.slice(dot + 1)];
  const binding = pipeline.stages.get(stage)?.outputs.find((o) => o.slot === slot);
  if (binding) return { path: binding.path, display: binding.display };
  return {
    lack: `pipeline.yaml writes ${ref} (the ${input} to replay) to no file`,
    hint:
      `declare one under stages.${stage}.outputs in pipeline.yaml (\`${slot}: data/processed/...\`) ` +
      `and run \`pipeline run\`, or give --${input} PATH`,
  };
}
