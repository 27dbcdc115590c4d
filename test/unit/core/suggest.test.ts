import { describe, expect, it } from "vitest";
import { didYouMean, editDistance, suggest } from "../../../src/core/suggest.ts";

describe("editDistance", () => {
  it("counts inserts, deletes, substitutions and swaps of neighbours as one edit each", () => {
    expect(editDistance("run", "run")).toBe(0);
    expect(editDistance("rn", "run")).toBe(1);
    expect(editDistance("clasify", "classify")).toBe(1);
    expect(editDistance("verfiy", "verify")).toBe(1);
    expect(editDistance("kmeans", "kmaens")).toBe(1);
    expect(editDistance("sample", "simple")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("abc", "")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });

  it("ignores case", () => {
    expect(editDistance("RUN", "run")).toBe(0);
  });

  it("is symmetric", () => {
    for (const [a, b] of [
      ["rn", "run"],
      ["dry-rn", "dry-run"],
      ["clustr", "cluster"],
      ["ab", "ba"],
    ] as const) {
      expect(editDistance(a, b)).toBe(editDistance(b, a));
    }
  });
});

describe("suggest", () => {
  const stages = ["load", "standardize", "project", "cluster", "classify", "evaluate", "write-fit", "publish"];

  it("finds the typo'd name", () => {
    expect(suggest("clasify", stages)).toEqual(["classify"]);
    expect(suggest("clustr", stages)).toEqual(["cluster"]);
    expect(suggest("writefit", stages)).toEqual(["write-fit"]);
    expect(suggest("kk", ["k", "sample_for_fit", "batch_size", "n_init", "max_iter"])).toEqual(["k"]);
  });

  it("offers nothing for a name that is not close to any", () => {
    expect(suggest("frobnicate", stages)).toEqual([]);
    expect(suggest("x", ["k"])).toEqual([]); // one letter is never a typo of another
    expect(suggest("zz", ["k", "n"])).toEqual([]);
  });

  it("lists every name at the same smallest distance, in the order given", () => {
    expect(suggest("fom", ["from", "form", "force"])).toEqual(["from", "form"]);
  });

  it("falls back to the names that start with what was typed", () => {
    expect(suggest("stat", ["run", "status", "stream"])).toEqual(["status"]);
    expect(suggest("st", ["status", "stream"])).toEqual([]);
  });

  it("keeps a long typed name cheap: names far longer or shorter are skipped", () => {
    const long = "x".repeat(200_000);
    const started = performance.now();
    expect(suggest(long, stages)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe("didYouMean", () => {
  it("spells one, two or more names as a question", () => {
    expect(didYouMean("rn", ["run", "gc"])).toBe("did you mean run?");
    expect(didYouMean("fom", ["from", "form"], (n) => `--${n}`)).toBe("did you mean --from or --form?");
    expect(didYouMean("ab", ["abc", "abd", "abe"])).toBe("did you mean abc, abd or abe?");
    expect(didYouMean("frobnicate", ["run"])).toBe("");
  });
});
