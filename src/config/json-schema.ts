/**
 * The JSON Schema of pipeline.yaml (draft-07, what editors' YAML and JSON language servers
 * read), generated from the same zod schemas the loader validates with: the file's own
 * (schema.ts) and each stage's params, so it cannot drift from what `pipeline run` accepts.
 * Each stage entry is checked against the stage it names (`uses:`, or the entry's own name):
 * its parameters with their descriptions and defaults, its input slots (all required, as the
 * loader requires them wired) and the outputs that can be written to files.
 */
import { z } from "zod";
import type { AnyStage } from "../core/stage.ts";
import { pipelineFileSchema, STAGE_NAME, stageEntrySchema } from "./schema.ts";

export type JsonSchema = { [keyword: string]: unknown };

const DRAFT = "http://json-schema.org/draft-07/schema#";

export function pipelineJsonSchema(stages: readonly AnyStage[]): JsonSchema {
  const file = fromZod(pipelineFileSchema);
  const entry = fromZod(stageEntrySchema) as { properties: Record<string, JsonSchema> };
  const definitions: Record<string, JsonSchema> = {};
  for (const def of stages) definitions[stageRef(def.name)] = stageEntry(def, entry.properties);
  definitions.entry = {
    type: "object",
    description: "a stage entry that names its stage with `uses:`",
    required: ["uses"],
    properties: { ...entry.properties, uses: { ...entry.properties.uses, enum: stages.map((d) => d.name) } },
    allOf: stages.map((def) => ({
      if: { required: ["uses"], properties: { uses: { const: def.name } } },
      then: { $ref: `#/definitions/${stageRef(def.name)}` },
    })),
  };
  const properties = file.properties as Record<string, JsonSchema>;
  properties.stages = {
    type: "object",
    description: properties.stages?.description,
    propertyNames: { pattern: STAGE_NAME.source },
    properties: Object.fromEntries(
      stages.map((def) => [
        def.name,
        {
          type: Object.keys(def.inputs).length > 0 ? "object" : ["object", "null"], // null: no inputs to wire
          description: def.summary,
          if: { type: "object", required: ["uses"] },
          then: { $ref: "#/definitions/entry" },
          else: { if: { type: "object" }, then: { $ref: `#/definitions/${stageRef(def.name)}` } },
        },
      ]),
    ),
    additionalProperties: { $ref: "#/definitions/entry" },
  };
  return {
    $schema: DRAFT,
    title: "pipeline.yaml",
    description: "A DAG of stages for `pipeline`; regenerate with `pipeline schema > pipeline.schema.json` after adding plugin stages",
    ...withoutDraft(file),
    definitions,
  };
}

/** The definition a stage entry is checked against: name, params, wiring, written outputs. */
function stageEntry(def: AnyStage, base: Record<string, JsonSchema>): JsonSchema {
  const inputs = Object.entries(def.inputs);
  const written = Object.entries(def.outputs).filter(([, spec]) => spec.kind === "file" || spec.kind === "json");
  return {
    type: "object",
    description: def.summary,
    properties: {
      uses: { const: def.name, description: base.uses?.description },
      params: { ...fromZod(def.params), description: `parameters of ${def.name}; unset ones take their defaults` },
      inputs: {
        type: "object",
        description: base.inputs?.description,
        properties: Object.fromEntries(
          inputs.map(([slot, spec]) => {
            const wiring = spec.kind === "path" ? "a file path, relative to pipeline.yaml" : `\`stage.output\` giving a ${spec.kind}`;
            return [slot, { type: "string", description: `${wiring}: ${spec.description}` }];
          }),
        ),
        required: inputs.map(([slot]) => slot),
        additionalProperties: false,
      },
      outputs: {
        type: "object",
        description: base.outputs?.description,
        properties: Object.fromEntries(
          written.map(([slot, spec]) => [slot, { type: "string", description: `${spec.kind}: ${spec.description}` }]),
        ),
        additionalProperties: false,
      },
    },
    ...(inputs.length > 0 ? { required: ["inputs"] } : {}),
    additionalProperties: false,
  };
}

function stageRef(name: string): string {
  return `stage-${name}`;
}

/** What the yaml may say (io "input": a field with a default is optional), without its own $schema line. */
function fromZod(schema: z.ZodType): JsonSchema {
  return withoutDraft(z.toJSONSchema(schema, { target: "draft-7", io: "input", unrepresentable: "any" }) as JsonSchema);
}

function withoutDraft(schema: JsonSchema): JsonSchema {
  const { $schema: _draft, ...rest } = schema;
  return rest;
}
