import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/core/errors.ts";
import { globTest, selectColumns, splitPatterns } from "../../../src/exp/columns.ts";

const COLUMNS = [
  "seed",
  "cluster.k",
  "classify.k",
  "cluster.inertia",
  "cluster.size.min",
  "evaluate.macro_f1",
  "evaluate.f1.clean",
  "evaluate.latency.batch64_per_window_ms",
];
const shown = (keep: string[], drop: string[]) => COLUMNS.filter(selectColumns(keep, drop, COLUMNS).shows);

describe("globTest", () => {
  it.each([
    ["evaluate.*", "evaluate.f1.clean", true],
    ["evaluate.*", "cluster.inertia", false],
    ["k", "cluster.k", true], // an ending after a dot
    ["k", "cluster.inertia", false],
    ["f1.*", "evaluate.f1.clean", true],
    ["f1.*", "evaluate.macro_f1", false],
    ["cluster.?", "cluster.k", true],
    ["cluster.?", "cluster.inertia", false],
    ["latency.batch64_per_window_ms", "evaluate.latency.batch64_per_window_ms", true],
    ["evaluate.macro+f1", "evaluate.macro_f1", false], // regex characters are literal
    ["*", "seed", true],
  ])("%s on %s: %s", (pattern, column, expected) => {
    expect(globTest(pattern)(column)).toBe(expected);
  });
});

describe("selectColumns", () => {
  it("drops what --drop matches, keeps what --keep matches over it, and --keep alone keeps only its own", () => {
    expect(shown([], [])).toEqual(COLUMNS);
    expect(shown([], ["evaluate.*", "size.*"])).toEqual(["seed", "cluster.k", "classify.k", "cluster.inertia"]);
    expect(shown(["macro_f1"], [])).toEqual(["evaluate.macro_f1"]);
    expect(shown(["macro_f1"], ["evaluate.*"])).toEqual([
      "seed",
      "cluster.k",
      "classify.k",
      "cluster.inertia",
      "cluster.size.min",
      "evaluate.macro_f1",
    ]);
    expect(selectColumns(["cluster.k"], [], COLUMNS).kept("cluster.k")).toBe(true);
  });

  it("refuses a pattern that matches no column, listing the columns", () => {
    expect(() => selectColumns([], ["evalute.*"], COLUMNS)).toThrow(UsageError);
    expect(() => selectColumns([], ["evalute.*"], COLUMNS)).toThrow("exp show --drop evalute.*: matches no parameter or metric column");
    expect(() => selectColumns(["nothing"], [], [])).not.toThrow(); // no runs yet: nothing to check against
  });

  it("splits repeated and comma-separated patterns", () => {
    expect(splitPatterns(["a,b", " c ", ""])).toEqual(["a", "b", "c"]);
    expect(splitPatterns(undefined)).toEqual([]);
  });
});
