import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { z } from "zod";
import { pipelineJsonSchema, type JsonSchema } from "../../../src/config/json-schema.ts";
import { loadPipeline } from "../../../src/config/load.ts";
import { ConfigError } from "../../../src/core/errors.ts";
import { packageRoot } from "../../../src/core/paths.ts";
import type { AnyStage } from "../../../src/core/stage.ts";
import { loadRegistry } from "../../../src/engine/registry.ts";
import { removeTestProjects, testProject } from "../../helpers/cli.ts";
import { keywordsOf, SUPPORTED_KEYWORDS, validate } from "../../helpers/json-schema.ts";

afterAll(removeTestProjects);

const SHIPPED = readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8");

interface Entry {
  uses?: string;
  params?: Record<string, unknown>;
  inputs?: Record<string, string>;
  outputs?: Record<string, string>;
  [key: string]: unknown;
}
type Doc = { stages: Record<string, Entry | null> } & Record<string, unknown>;

/** The shipped yaml with one edit, made on its parsed form. */
function edited(change: (doc: Doc) => void): unknown {
  const doc = parse(SHIPPED);
  change(doc);
  return doc;
}

/** The zod side, the loader itself: the problems it reports for `doc` (empty when it loads). */
function loaderIssues(doc: unknown, stages: readonly AnyStage[]): readonly string[] {
  const dir = testProject({ "pipeline.yaml": JSON.stringify(doc) });
  try {
    loadPipeline(dir, stages);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
}

describe("the JSON Schema of pipeline.yaml", () => {
  let stages: AnyStage[];
  let schema: JsonSchema;
  beforeAll(async () => {
    stages = (await loadRegistry()).map((r) => r.def);
    schema = pipelineJsonSchema(stages);
  });

  it("uses only keywords the test validator implements, so no constraint goes unchecked", () => {
    const unknown = [...keywordsOf(schema)].filter((k) => !SUPPORTED_KEYWORDS.has(k));
    expect(unknown).toEqual([]);
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
  });

  it("accepts the shipped pipeline.yaml, as the loader does", () => {
    const doc = parse(SHIPPED);
    expect(validate(schema, doc)).toEqual([]);
    expect(loaderIssues(doc, stages)).toEqual([]);
  });

  it("accepts a second entry of a stage that names it with uses:", () => {
    const doc = edited(
      (d) => (d.stages["cluster-small"] = { uses: "cluster", params: { k: 3 }, inputs: { features: "standardize.features" } }),
    );
    expect(validate(schema, doc)).toEqual([]);
    expect(loaderIssues(doc, stages)).toEqual([]);
  });

  const typos: [string, (d: Doc) => void, RegExp][] = [
    ["a misspelt parameter", (d) => (d.stages.cluster!.params!.kk = 5), /cluster\.params\.kk/],
    ["a parameter value outside its enum", (d) => (d.stages.project!.params!.method = "ldaa"), /project\.params\.method/],
    ["a parameter of the wrong type", (d) => (d.stages.classify!.params!.k = "ten"), /classify\.params\.k/],
    ["a number below its minimum", (d) => (d.stages.cluster!.params!.k = 0), /cluster\.params\.k/],
    ["a misspelt input slot", (d) => (d.stages.cluster!.inputs = { featurs: "standardize.features" }), /cluster\.inputs/],
    [
      "an output that cannot be written to a file",
      (d) => (d.stages.cluster!.outputs = { labels: "labels.arrow" }),
      /cluster\.outputs\.labels/,
    ],
    ["a misspelt entry key", (d) => (d.stages.evaluate!.ouputs = {}), /evaluate\.ouputs/],
    ["a misspelt stage name with no uses:", (d) => (d.stages.clustr = d.stages.cluster!), /clustr/],
    ["an unknown stage in uses:", (d) => (d.stages.cluster!.uses = "kmeans"), /cluster\.uses/],
    ["a misspelt top-level key", (d) => (d.sed = 1), /\$\.sed|sed/],
    ["a wrong format version", (d) => (d.version = 2), /version/],
    ["an empty entry for a stage whose inputs must be wired", (d) => (d.stages.publish = null), /publish/],
    ["an entry that wires none of its inputs", (d) => delete d.stages.cluster!.inputs, /cluster: missing required "inputs"/],
    ["a stage name with capitals", (d) => (d.stages.Cluster = { uses: "cluster" }), /Cluster/],
  ];

  it.each(typos)("rejects %s, as the loader does", (_label, change, where) => {
    const doc = edited(change);
    const errors = validate(schema, doc);
    expect(errors.length, "the JSON Schema accepted it").toBeGreaterThan(0);
    expect(errors.join("\n")).toMatch(where);
    expect(loaderIssues(doc, stages).length, "the loader accepted it").toBeGreaterThan(0);
  });

  it("describes every built-in stage's parameters with the zod schema's descriptions and defaults", () => {
    const definitions = schema.definitions as Record<string, { properties: Record<string, JsonSchema> }>;
    for (const def of stages) {
      const entry = definitions[`stage-${def.name}`];
      expect(entry, def.name).toBeDefined();
      const params = entry!.properties.params as { properties?: Record<string, JsonSchema>; additionalProperties?: boolean };
      const shape = (def.params as unknown as { shape: Record<string, z.ZodType> }).shape;
      expect(Object.keys(params.properties ?? {}).sort(), def.name).toEqual(Object.keys(shape).sort());
      expect(params.additionalProperties, `${def.name}: unknown parameters are refused`).toBe(false);
      for (const [name, field] of Object.entries(shape)) {
        const json = params.properties![name]!;
        expect(json.description, `${def.name}.${name}`).toBe(field.description);
        expect(typeof json.description === "string" && json.description.length > 0, `${def.name}.${name} has a description`).toBe(true);
        const parsedDefault = (def.params.safeParse({}).data as Record<string, unknown>)[name];
        if (parsedDefault !== undefined) expect(json.default, `${def.name}.${name} default`).toEqual(parsedDefault);
      }
      const inputs = entry!.properties.inputs as { required: string[] };
      expect(inputs.required.sort(), `${def.name}: every input must be wired`).toEqual(Object.keys(def.inputs).sort());
    }
  });

  it("covers plugin stages it is given", () => {
    const plugin = { ...stages.find((s) => s.name === "cluster")!, name: "my-cluster" } as AnyStage;
    const withPlugin = pipelineJsonSchema([...stages, plugin]);
    const doc = edited((d) => (d.stages.mine = { uses: "my-cluster", params: { k: 2 }, inputs: { features: "standardize.features" } }));
    expect(validate(withPlugin, doc)).toEqual([]);
    expect(validate(schema, doc).join("\n")).toMatch(/mine\.uses/);
    const typo = edited((d) => (d.stages.mine = { uses: "my-cluster", params: { kk: 2 }, inputs: { features: "standardize.features" } }));
    expect(validate(withPlugin, typo).join("\n")).toMatch(/mine\.params\.kk/);
  });
});
