import { describe, expect, it } from "vitest";
import { z } from "zod";
import { stageKey, type KeyParts } from "../../../src/core/keys.ts";
import {
  baseKeyOf,
  entryView,
  parseShardRange,
  PLAN_OUTPUTS,
  planParts,
  shardKey,
  shardParts,
  shardRows,
} from "../../../src/core/shard.ts";
import { slot, type AnyStage } from "../../../src/core/stage.ts";
import { decideShards, needsRecordedPlan, shardCountOf } from "../../../src/engine/decide.ts";

const parts: KeyParts = {
  engine: "1",
  stage: "classify",
  uses: "classify",
  version: "1",
  code: "c0de",
  params: { k: 10 },
  seed: 1,
  inputs: { features: "aa" },
  sources: {},
};

describe("shardRows", () => {
  it("covers every item once, in order, in ranges whose sizes differ by at most one", () => {
    for (const total of [0, 1, 2, 7, 10, 1001]) {
      for (const count of [1, 2, 3, 4, 13]) {
        const ranges = Array.from({ length: count }, (_, index) => shardRows(total, { index, count }));
        expect(ranges[0]!.start).toBe(0);
        expect(ranges.at(-1)!.end).toBe(total);
        for (let i = 1; i < count; i++) expect(ranges[i]!.start).toBe(ranges[i - 1]!.end);
        const sizes = ranges.map((r) => r.end - r.start);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe("shard keys", () => {
  it("a shard's key names its index and count; the stage's own key does not depend on either", () => {
    const keys = new Set([
      stageKey(parts),
      shardKey(parts, { index: 0, count: 2 }),
      shardKey(parts, { index: 1, count: 2 }),
      shardKey(parts, { index: 0, count: 3 }),
      stageKey(planParts(parts)),
    ]);
    expect(keys.size).toBe(5);
    expect(baseKeyOf(shardParts(parts, { index: 1, count: 2 }))).toBe(stageKey(parts));
    expect(baseKeyOf(planParts(parts))).toBe(stageKey(parts));
    expect(baseKeyOf(parts)).toBeUndefined();
  });

  it("an entry is checked against the slots it holds: the stage's, a shard's, or the plan's", () => {
    const shardOutputs = { votes: slot.table("v") };
    const def = {
      name: "classify",
      version: "1",
      summary: "",
      params: z.strictObject({}),
      inputs: {},
      outputs: { predictions: slot.table("p") },
      run: () => ({}),
      shards: { outputs: shardOutputs, mergeInputs: [], run: async () => ({}), merge: async () => ({}) },
    } as unknown as AnyStage;
    expect(entryView(def, parts).outputs).toBe(def.outputs);
    expect(entryView(def, shardParts(parts, { index: 0, count: 2 })).outputs).toBe(shardOutputs);
    expect(entryView(def, planParts(parts)).outputs).toBe(PLAN_OUTPUTS);
  });

  it("parses I/N, 0-based, and refuses the rest", () => {
    expect(parseShardRange("1/4")).toEqual({ index: 1, count: 4 });
    expect(parseShardRange("0/1")).toEqual({ index: 0, count: 1 });
    for (const bad of ["4/4", "1/0", "-1/2", "a/2", "1", "1/2/3", "0/100000"]) expect(parseShardRange(bad)).toBeUndefined();
  });
});

describe("the planner's shard decisions", () => {
  it("the count: --shard's N, else --shards N (1 is unsharded), else the recorded plan, else unsharded", () => {
    expect(shardCountOf({ only: { index: 0, count: 3 }, requested: 5 }, 2)).toBe(3);
    expect(shardCountOf({ only: undefined, requested: 5 }, 2)).toBe(5);
    expect(shardCountOf({ only: undefined, requested: 1 }, 2)).toBeUndefined();
    expect(shardCountOf({ only: undefined, requested: undefined }, 2)).toBe(2);
    expect(shardCountOf({ only: undefined, requested: undefined }, undefined)).toBeUndefined();
    expect(needsRecordedPlan({ only: undefined, requested: undefined })).toBe(true);
    expect(needsRecordedPlan({ only: undefined, requested: 2 })).toBe(false);
  });

  it("--shard I/N computes shard I alone when missing and never merges; a plain run computes what is missing, then merges", () => {
    expect(decideShards({ index: 1, count: 3 }, [false, false, false])).toEqual({ compute: [1], merge: false });
    expect(decideShards({ index: 1, count: 3 }, [false, true, false])).toEqual({ compute: [], merge: false });
    expect(decideShards(undefined, [true, false, true, false])).toEqual({ compute: [1, 3], merge: true });
    expect(decideShards(undefined, [true, true])).toEqual({ compute: [], merge: true });
    expect(() => decideShards({ index: 0, count: 2 }, [false])).toThrow();
  });
});
