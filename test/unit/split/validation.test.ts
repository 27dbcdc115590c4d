import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/core/errors.ts";
import { parseValidationTable, usableRows } from "../../../src/split/index.ts";

const good = {
  episode_id: ["e1", "e2", "e3"],
  host_id: ["h1", "h2", "h2"],
  profile: ["p", "p", "q"],
  sample_name: ["s1", "s2", "s3"],
  status: ["accepted", "rejected", "degraded"],
};

describe("parseValidationTable", () => {
  it("reads the five columns and keeps accepted and degraded rows usable", () => {
    const rows = parseValidationTable(good, "validation_v1.parquet");
    expect(rows.sampleName).toEqual(["s1", "s2", "s3"]);
    expect(usableRows(rows)).toEqual([0, 2]);
  });

  it("names every missing column, the file and the required columns", () => {
    const { sample_name: _s, status: _t, ...partial } = good;
    const error = (() => {
      try {
        parseValidationTable(partial, "data/validation_v1.parquet");
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe("data/validation_v1.parquet: missing columns sample_name, status");
    expect((error as InputError).hint).toContain("episode_id, host_id, profile, sample_name, status");
  });

  it("rejects a numeric column, a missing value and a repeated episode", () => {
    expect(() => parseValidationTable({ ...good, host_id: new Int32Array(3) }, "v.parquet")).toThrow(
      /v\.parquet: column host_id is numeric/,
    );
    expect(() => parseValidationTable({ ...good, status: ["accepted", null, "x"] as unknown as string[] }, "v.parquet")).toThrow(
      /column status has a missing value at row 1/,
    );
    expect(() => parseValidationTable({ ...good, episode_id: ["e1", "e2", "e1"] }, "v.parquet")).toThrow(/episode_id repeats episode "e1"/);
  });
});
