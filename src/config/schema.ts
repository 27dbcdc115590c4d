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

/** `cache.remote`: a shared second tier (Bazel's HTTP cache layout); the environment overrides it. */
export const remoteCacheSchema = z.strictObject({
  url: z.string().optional().describe("base URL of the remote cache (objects at URL/cas/<sha256>, entries at URL/ac/<key>); PIPELINE_REMOTE_CACHE overrides it"),
  mode: z.enum(["off", "read", "readwrite"]).default("read").describe("read: laptops and pull requests; readwrite: CI, which signs what it uploads; PIPELINE_REMOTE_CACHE_MODE overrides it"),
  trust: z.array(z.string()).default([]).describe("public keys (ed25519:...) whose signed entries this project accepts from the remote"),
  timeout_ms: z.number().int().positive().default(10_000).describe("per request: time allowed to connect, and between bytes of an answer"),
});

export const pipelineFileSchema = z.strictObject({
  version: z.literal(1).describe("format version of pipeline.yaml; only 1 exists"),
  seed: z.number().int().min(0).max(4294967295).default(0).describe("global seed; each stage derives its own"),
  plugins: z
    .array(z.string())
    .default([])
    .describe("JavaScript modules (relative to pipeline.yaml) that export more stages"),
  stages: z.record(z.string(), stageEntrySchema.nullable()).describe("stage name -> entry, in any order"),
  cache: z.strictObject({ remote: remoteCacheSchema.optional() }).optional().describe("where stage results are shared beyond this machine"),
});

export type StageEntry = z.output<typeof stageEntrySchema>;

export const STAGE_NAME = /^[a-z][a-z0-9_-]*$/;
