import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ancestorsOf, downstreamOf, topoOrder, type ResolvedPipeline, type ResolvedStage } from "../../../src/core/graph.ts";
import { selectStages } from "../../../src/core/select.ts";
import type { AnyStage } from "../../../src/core/stage.ts";

/*
 *   load ──> standardize ──┬──> project ──┐
 *                          ├──> cluster ──┼──> write-fit ──> publish (effect)
 *                          └──> classify ─┘
 */
function pipeline(): ResolvedPipeline {
  const edges: Record<string, string[]> = {
    load: [],
    standardize: ["load"],
    project: ["standardize"],
    cluster: ["standardize"],
    classify: ["standardize"],
    "write-fit": ["project", "cluster", "classify"],
    publish: ["write-fit"],
  };
  const stages = new Map<string, ResolvedStage>();
  for (const [name, upstream] of Object.entries(edges)) {
    const def = {
      name,
      version: "1",
      summary: "",
      params: z.object({}),
      inputs: {},
      outputs: {},
      effect: name === "publish",
      run: () => ({}),
    } as unknown as AnyStage;
    stages.set(name, { name, def, params: {}, inputs: [], outputs: [], upstream });
  }
  const { order } = topoOrder([...stages.keys()], (n) => edges[n]!);
  return { file: "pipeline.yaml", dir: ".", seed: 0, stages, order };
}

describe("graph", () => {
  it("orders topologically with ties broken by name", () => {
    expect(pipeline().order).toEqual(["load", "standardize", "classify", "cluster", "project", "write-fit", "publish"]);
  });

  it("finds cycles", () => {
    const { cycle } = topoOrder(["a", "b", "c"], (n) => ({ a: ["c"], b: ["a"], c: ["b"] })[n]!);
    expect(cycle).toEqual(["a", "b", "c"]);
  });

  it("ancestors and descendants", () => {
    expect([...ancestorsOf(pipeline(), "cluster")].sort()).toEqual(["cluster", "load", "standardize"]);
    expect([...downstreamOf(pipeline(), "cluster")].sort()).toEqual(["cluster", "publish", "write-fit"]);
  });
});

describe("selectStages", () => {
  const sel = (flags: Partial<Parameters<typeof selectStages>[1]>) =>
    [...selectStages(pipeline(), { targets: [], publish: false, ...flags })].sort();

  it("a plain run takes every stage but the effect", () => {
    expect(sel({})).toEqual(["classify", "cluster", "load", "project", "standardize", "write-fit"]);
  });
  it("--publish and naming publish include it", () => {
    expect(sel({ publish: true })).toContain("publish");
    expect(sel({ targets: ["publish"] })).toContain("publish");
  });
  it("--until, --from, --only", () => {
    expect(sel({ until: "cluster" })).toEqual(["cluster", "load", "standardize"]);
    expect(sel({ from: "cluster" })).toEqual(["cluster", "write-fit"]);
    expect(sel({ only: "cluster" })).toEqual(["cluster"]);
    expect(sel({ from: "standardize", until: "project" })).toEqual(["project", "standardize"]);
  });
  it("an unknown stage is a usage error", () => {
    expect(() => sel({ only: "nope" })).toThrow(/no stage "nope"/);
  });
});
