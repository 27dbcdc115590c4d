import { z } from "zod";

/** One out of a command stage: a path (a `file`) or `{ path, kind }`. */
export const commandOutSchema = z.preprocess(
  (value) => (typeof value === "string" ? { path: value } : value),
  z.strictObject({
    path: z.string().min(1).describe("where the command writes it, relative to its working folder; also where it lands in the project"),
    kind: z
      .enum(["file", "json"])
      .default("file")
      .describe("file: its bytes as they are; json: parsed, stored canonically, written back pretty-printed"),
  }),
);

/** A stage's entry in pipeline.yaml, before it is resolved against the stage registry. */
export const stageEntrySchema = z.strictObject({
  uses: z.string().optional().describe("built-in stage to run (`cmd` for a command stage); defaults to the entry's own name"),
  params: z.record(z.string(), z.unknown()).optional().describe("the stage's parameters; defaults apply to the rest"),
  inputs: z.record(z.string(), z.string()).optional().describe("slot -> `stage.output` or a file path relative to pipeline.yaml"),
  outputs: z
    .record(z.string(), z.string())
    .optional()
    .describe("slot -> file path (relative to pipeline.yaml) the engine writes that output to"),
  cmd: z
    .union([z.string().min(1), z.array(z.string()).min(1)], {
      error: "give the command as a list of arguments (run without a shell) or as one shell string",
    })
    .optional()
    .describe("uses: cmd: an argv list (no shell) or a shell string (/bin/sh -c); ${params.x}, ${deps.x}, ${outs.x} are replaced"),
  deps: z
    .record(z.string(), z.string().min(1))
    .optional()
    .describe("uses: cmd: name -> a project file or `stage.output` (a file or json output), put in the command's working folder"),
  outs: z
    .record(z.string(), commandOutSchema)
    .optional()
    .describe("uses: cmd: name -> the file the command must write (`path`, or `{ path, kind }`)"),
});

/** `cache.remote`: a shared second tier (Bazel's HTTP cache layout); the environment overrides it. */
export const remoteCacheSchema = z.strictObject({
  url: z
    .string()
    .optional()
    .describe("base URL of the remote cache (objects at URL/cas/<sha256>, entries at URL/ac/<key>); PIPELINE_REMOTE_CACHE overrides it"),
  mode: z
    .enum(["off", "read", "readwrite"])
    .default("read")
    .describe("read: laptops and pull requests; readwrite: CI, which signs what it uploads; PIPELINE_REMOTE_CACHE_MODE overrides it"),
  trust: z.array(z.string()).default([]).describe("public keys (ed25519:...) whose signed entries this project accepts from the remote"),
  timeout_ms: z.number().int().positive().default(10_000).describe("per request: time allowed to connect, and between bytes of an answer"),
});

export const pipelineFileSchema = z.strictObject({
  version: z.literal(1).describe("format version of pipeline.yaml; only 1 exists"),
  seed: z.number().int().min(0).max(4294967295).default(0).describe("global seed; each stage derives its own"),
  plugins: z.array(z.string()).default([]).describe("JavaScript modules (relative to pipeline.yaml) that export more stages"),
  stages: z.record(z.string(), stageEntrySchema.nullable()).describe("stage name -> entry, in any order"),
  cache: z.strictObject({ remote: remoteCacheSchema.optional() }).optional().describe("where stage results are shared beyond this machine"),
});

export type StageEntry = z.output<typeof stageEntrySchema>;

export const STAGE_NAME = /^[a-z][a-z0-9_-]*$/;
