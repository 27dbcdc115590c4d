import { describe, expect, it } from "vitest";
import { sweepVariants } from "../../../src/config/sweep.ts";

describe("sweepVariants", () => {
  it("a plain --set is one variant with no choices", () => {
    expect(sweepVariants(["cluster.k=5"])).toEqual([{ sets: ["cluster.k=5"], choices: {} }]);
  });

  it("a top-level comma sweeps; several sweeps make their grid, in the order given", () => {
    const grid = sweepVariants(["cluster.k=5,8", "project.method=pca,lda", "seed=3"]);
    expect(grid.map((v) => v.sets)).toEqual([
      ["cluster.k=5", "project.method=pca", "seed=3"],
      ["cluster.k=5", "project.method=lda", "seed=3"],
      ["cluster.k=8", "project.method=pca", "seed=3"],
      ["cluster.k=8", "project.method=lda", "seed=3"],
    ]);
    expect(grid[1]!.choices).toEqual({ "cluster.k": "5", "project.method": "lda" });
  });

  it("a list value is written in brackets; quotes and braces keep their commas", () => {
    expect(sweepVariants(["classify.train_hosts=[a,b]"])).toHaveLength(1);
    expect(sweepVariants(["classify.train_hosts=[a],[b,c]"]).map((v) => v.sets[0])).toEqual([
      "classify.train_hosts=[a]",
      "classify.train_hosts=[b,c]",
    ]);
    expect(sweepVariants(['publish.url="http://x/a,b"'])).toHaveLength(1);
  });

  it("an empty value in a sweep is a usage error", () => {
    expect(() => sweepVariants(["cluster.k=5,,8"])).toThrow(/a sweep has an empty value/);
  });
});
