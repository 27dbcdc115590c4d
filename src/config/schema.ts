import { z } from "zod";

/** A stage's entry in pipeline.yaml, before it is resolved against the stage registry. */
export const stageEntrySchema = z.strictObject({
  uses: z.string().optional().describe("built-in stage to run; defaults to the entry's own name"),
  params: z.record(z.string(), z.unknown()).optional().describe("the stage's parameters; defaults apply to the rest"),
  inputs: z
    .record(z.string(), z.string())
    .optional()
    .describe("slot -> `stage.output` or a file path relative to pipeline.yaml"),
  outputs: z
    .record(z.string(), z.string())
    .optional()
    .describe("slot -> file path (relative to pipeline.yaml) the engine writes that output to"),
});

export const pipelineFileSchema = z.strictObject({
  version: z.literal(1).describe("format version of pipeline.yaml; only 1 exists"),
  seed: z.number().int().min(0).max(4294967295).default(0).describe("global seed; each stage derives its own"),
  plugins: z
    .array(z.string())
    .default([])
    .describe("JavaScript modules (relative to pipeline.yaml) that export more stages"),
  stages: z.record(z.string(), stageEntrySchema.nullable()).describe("stage name -> entry, in any order"),
});

export type PipelineFile = z.output<typeof pipelineFileSchema>;
export type StageEntry = z.output<typeof stageEntrySchema>;

export const STAGE_NAME = /^[a-z][a-z0-9_-]*$/;
