import { describe, expect, it } from "vitest";
import { CACHE_DIR } from "../../../src/cache/local-driver.ts";
import { pickFormat, RUNS_CACHE_DIR } from "../../../src/cli/commands/exp-io.ts";
import { UsageError } from "../../../src/core/errors.ts";

describe("exp commands' shell helpers", () => {
  it("read the runs from the store's cache folder", () => {
    expect(RUNS_CACHE_DIR).toBe(CACHE_DIR);
  });

  it("take at most one format flag", () => {
    expect(pickFormat("exp show", {}, ["csv", "json"])).toBe("text");
    expect(pickFormat("exp show", { json: true }, ["csv", "json"])).toBe("json");
    expect(() => pickFormat("exp show", { json: true, csv: true }, ["csv", "json"])).toThrow(UsageError);
  });
});
