import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ResolvedStage } from "../../../src/core/graph.ts";
import { stageKey, type KeyParts } from "../../../src/core/keys.ts";
import { decideStage, type StageFacts } from "../../../src/engine/decide.ts";

const stage = (effect = false): ResolvedStage => ({
  name: "cluster",
  def: {
    name: "cluster",
    version: "1",
    summary: "",
    params: z.strictObject({}),
    inputs: {},
    outputs: {},
    ...(effect ? { effect: true } : {}),
    run: () => ({}),
  },
  params: { k: 8 },
  inputs: [],
  outputs: [],
  upstream: ["standardize"],
});
const parts: KeyParts = {
  engine: "1",
  stage: "cluster",
  uses: "cluster",
  version: "1",
  code: "c0de",
  params: { k: 8 },
  seed: 1,
  inputs: { features: "aa" },
  sources: {},
};
const entry = { outputs: { labels: { hash: "b".repeat(64), size: 10, kind: "table" as const } } };
const facts = (over: Partial<StageFacts> = {}): StageFacts => ({
  inScope: true,
  forced: false,
  dryRun: false,
  stopping: false,
  blockedBy: [],
  missingFile: undefined,
  parts,
  localEntry: undefined,
  previousParts: undefined,
  ...over,
});

/* The planner's decisions are pure data: every run, dry run, status and explain reads them. */
describe("decideStage", () => {
  it("a local entry is a hit; without one the stage looks further, with typed reasons", () => {
    expect(decideStage(stage(), facts({ localEntry: entry }))).toEqual({
      kind: "cached",
      key: stageKey(parts),
      parts,
      outputs: entry.outputs,
    });
    expect(decideStage(stage(), facts())).toMatchObject({ kind: "look-further", reasons: [{ code: "never-run" }] });
    const before = { ...parts, params: { k: 5 } };
    expect(decideStage(stage(), facts({ previousParts: before }))).toMatchObject({
      reasons: [{ code: "params", detail: "params.k: 5 -> 8" }],
    });
    expect(decideStage(stage(), facts({ previousParts: parts }))).toMatchObject({ reasons: [{ code: "entry-missing" }] });
  });

  it("forced and effects ignore the local entry", () => {
    expect(decideStage(stage(), facts({ forced: true, localEntry: entry }))).toMatchObject({
      kind: "look-further",
      reasons: [{ code: "forced" }],
    });
    expect(decideStage(stage(true), facts({ localEntry: entry }))).toMatchObject({ kind: "look-further", reasons: [{ code: "effect" }] });
  });

  it("a failed upstream wins over everything, and names the root failure", () => {
    expect(decideStage(stage(), facts({ blockedBy: ["load"], localEntry: entry, parts: undefined }))).toEqual({
      kind: "skip",
      cause: "upstream-failed",
      detail: "not run because load failed",
      blockedBy: ["load"],
    });
  });

  it("a missing input file fails a selected stage, skips an unselected one", () => {
    const missingFile = { slot: "windows", display: "data/x.parquet" };
    expect(decideStage(stage(), facts({ missingFile, parts: undefined }))).toMatchObject({
      kind: "fail",
      cause: "input-file-missing",
      message: "input windows: data/x.parquet does not exist",
    });
    expect(decideStage(stage(), facts({ missingFile, parts: undefined, inScope: false }))).toMatchObject({
      kind: "skip",
      cause: "not-selected",
    });
  });

  it("an input not known yet: waiting in a dry run, a failure in a run", () => {
    const waiting = { waitingOn: ["standardize.features"] };
    expect(decideStage(stage(), facts({ parts: waiting, dryRun: true }))).toMatchObject({ kind: "skip", cause: "waiting" });
    expect(decideStage(stage(), facts({ parts: waiting }))).toMatchObject({
      kind: "fail",
      cause: "input-not-cached",
      hint: "run `pipeline run --until cluster` first",
    });
  });

  it("an unselected stage is skipped but still tells its outputs (downstream keys need them)", () => {
    expect(decideStage(stage(), facts({ inScope: false, localEntry: entry }))).toMatchObject({
      kind: "skip",
      cause: "not-selected",
      key: stageKey(parts),
      outputs: entry.outputs,
    });
  });
});
