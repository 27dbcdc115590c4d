import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { loadPipeline } from "../../../src/config/load.ts";
import { MAX_PIPELINE_BYTES, MAX_YAML_DEPTH } from "../../../src/config/source.ts";
import { ConfigError, MAX_LISTED_ISSUES } from "../../../src/core/errors.ts";
import { defineStage, type AnyStage } from "../../../src/core/stage.ts";
import { removeTestProjects, testProject } from "../../helpers/cli.ts";

afterAll(removeTestProjects);

/** One stage with no inputs, so a yaml of it has no problems but the ones a test puts in. */
const knob = defineStage({
  name: "knob",
  version: "1",
  summary: "a stage with one parameter",
  params: z.strictObject({ k: z.number().int().default(1).describe("a number"), any: z.unknown().optional().describe("anything") }),
  inputs: {},
  outputs: {},
  run: () => ({}),
}) as unknown as AnyStage;

function load(yaml: string) {
  return loadPipeline(testProject({ "pipeline.yaml": yaml }), [knob]);
}

/** The ConfigError loading `yaml` throws (fails the test when it throws anything else or nothing). */
function configError(yaml: string): ConfigError {
  try {
    load(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw new Error(`expected a ConfigError, got ${String(error instanceof Error ? error.stack : error)}`);
  }
  throw new Error("expected a ConfigError, but the pipeline loaded");
}

function unknownParams(n: number): string {
  const lines = ["version: 1", "stages:", "  knob:", "    params:"];
  for (let i = 0; i < n; i++) lines.push(`      p${i}: 1`);
  return `${lines.join("\n")}\n`;
}

describe("loadPipeline: a valid file", () => {
  it("loads, with a nested parameter value well inside the depth limit", () => {
    const deep = `${"[".repeat(20)}1${"]".repeat(20)}`;
    const pipeline = load(`version: 1\nstages:\n  knob:\n    params: { k: 3, any: ${deep} }\n`);
    expect(pipeline.order).toEqual(["knob"]);
    expect(pipeline.stages.get("knob")!.params).toMatchObject({ k: 3 });
  });

  it("accepts a file of exactly the size limit", () => {
    const head = "version: 1\nstages:\n  knob: {}\n";
    const yaml = head + "#".repeat(MAX_PIPELINE_BYTES - head.length - 1) + "\n";
    expect(Buffer.byteLength(yaml)).toBe(MAX_PIPELINE_BYTES);
    expect(load(yaml).order).toEqual(["knob"]);
  });

  it("resolves an alias to an anchor defined before it", () => {
    const pipeline = load("version: 1\nstages:\n  knob:\n    params: { k: &n 4, any: [*n, *n] }\n");
    expect(pipeline.stages.get("knob")!.params).toEqual({ k: 4, any: [4, 4] });
  });
});

describe("loadPipeline: unknown keys", () => {
  it("reports each unknown parameter on its own line, listing the first ones and counting the rest", () => {
    const error = configError(unknownParams(5000));
    expect(error.issues).toHaveLength(5000);
    expect(error.issues[0]).toBe('stages.knob.params (line 5): Unrecognized key: "p0" (knob\'s parameters: k, any)');
    expect(error.issues[4999]).toBe('stages.knob.params (line 5004): Unrecognized key: "p4999" (knob\'s parameters: k, any)');
    expect(error.message).toMatch(/^pipeline\.yaml has 5000 problems:\n/);
    expect(error.message).toContain(`Unrecognized key: "p${MAX_LISTED_ISSUES - 1}"`);
    expect(error.message).not.toContain(`Unrecognized key: "p${MAX_LISTED_ISSUES}"`);
    expect(error.message.trimEnd().endsWith(`  ... and ${5000 - MAX_LISTED_ISSUES} more`)).toBe(true);
  });

  it("cuts one enormous key short in the message but keeps it in the issues", () => {
    const key = "x".repeat(100_000);
    const error = configError(`version: 1\nstages:\n  knob:\n    params: { ${key}: 1 }\n`);
    expect(error.issues[0]).toContain(key);
    expect(error.message.length).toBeLessThan(1000);
    expect(error.message).toMatch(/\.\.\. \(\d+ more characters\)/);
  });

  it("still refuses a duplicate key, naming its line and column", () => {
    const error = configError("version: 1\nstages:\n  knob: {}\n  knob: {}\n");
    expect(error.issues).toEqual(['yaml syntax (line 4, column 3): duplicate key "knob"; map keys must be unique']);
  });
});

describe("loadPipeline: files that would exhaust time or memory", () => {
  it("refuses a file over 1 MiB before parsing it, naming the file, its size and the limit", () => {
    const dir = testProject({ "pipeline.yaml": `version: 1\nstages:\n  knob: {}\n${"# padding\n".repeat(110_000)}` });
    let error: unknown;
    try {
      loadPipeline(dir, [knob]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toBe(`${dir}/pipeline.yaml is 1100030 bytes, over the limit of 1048576 bytes (1 MiB); it was not read`);
  });

  it("refuses an alias bomb with the yaml package's reason and the first alias's position", () => {
    const lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `${"abcdefghi"[i]}: &${"abcdefghi"[i]} [${Array(9)
          .fill(`*${"abcdefghi"[i - 1]}`)
          .join(", ")}]`,
      );
    const error = configError(`version: 1\nstages:\n  knob:\n    params:\n      any:\n${lines.map((l) => `        ${l}`).join("\n")}\n`);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatch(/^yaml aliases \(line 7, column 16\): Excessive alias count indicates a resource exhaustion attack /);
    expect(error.issues[0]).toMatch(/resource exhaustion attack \(72 aliases, the first one here\)/);
  });

  it("refuses an alias with no anchor, naming it and its position", () => {
    const error = configError("version: 1\nstages:\n  knob:\n    params: { k: *nosuch }\n");
    expect(error.issues).toEqual(["yaml alias (line 4, column 18): *nosuch names no anchor; define &nosuch before it"]);
  });

  it("refuses an alias inside the node it names", () => {
    const error = configError("version: 1\nstages:\n  knob:\n    params: &p { any: *p }\n");
    expect(error.issues).toEqual([
      "yaml alias (line 4, column 23): *p is inside the node anchored as &p, so its value would contain itself",
    ]);
  });

  const deep: [string, string][] = [
    ["flow brackets", `version: 1\nstages: ${"[".repeat(900_000)}\n`],
    ["flow maps", `version: 1\nstages: ${"{a: ".repeat(200_000)}\n`],
    ["block sequences", `version: 1\nstages:\n${Array.from({ length: 200 }, (_, i) => `${" ".repeat(i * 2)}- `).join("\n")}x\n`],
    ["compact block sequences", `${"- ".repeat(400_000)}x\n`],
  ];
  for (const [label, yaml] of deep) {
    it(`refuses nesting deeper than ${MAX_YAML_DEPTH} levels: ${label}`, () => {
      const error = configError(yaml);
      expect(error.issues).toHaveLength(1);
      expect(error.issues[0]).toMatch(new RegExp(`^yaml \\(line \\d+, column \\d+\\): nested deeper than ${MAX_YAML_DEPTH} levels`));
    });
  }
});
