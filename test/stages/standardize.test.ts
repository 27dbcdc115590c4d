import { describe, expect, it } from "vitest";
import { matrix } from "../../src/core/artifact.ts";
import { InputError } from "../../src/core/errors.ts";
import { PARALLEL_MIN_VALUES } from "../../src/numeric/standardize-parallel.ts";
import standardize from "../../stages/standardize.ts";
import { stageContext } from "../helpers/stage-context.ts";
import { sameBytes } from "./linear-fixture.ts";

function raw(rows: number) {
  // columns: a (varying, some NaN), flat (constant: dropped), b (varying)
  const data = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    data[r * 3] = r % 7 === 0 ? Number.NaN : r % 13;
    data[r * 3 + 1] = 4;
    data[r * 3 + 2] = (r * 37) % 101;
  }
  return { features: matrix(rows, 3, data), schema: { feature_names: ["a", "flat", "b"], rows_in_file: rows, rows_kept: rows } };
}

describe("standardize stage", () => {
  it("outputs the kept columns and a transform record naming them", async () => {
    const out = await standardize.run(stageContext({}, raw(500)));
    expect(out.features.rows).toBe(500);
    expect(out.features.cols).toBe(2);
    const transform = out.transform as {
      kept: number[];
      names: string[];
      medians: number[];
      means: number[];
      stds: number[];
      dropped: string[];
    };
    expect(transform.kept).toEqual([0, 2]);
    expect(transform.names).toEqual(["a", "b"]);
    expect(transform.dropped).toEqual(["flat"]);
    expect(transform.medians).toHaveLength(2);
    expect(transform.stds.every((s) => s > 0)).toBe(true);
    // column "a" holds NaN in the input and none in the output
    expect(Array.from(out.features.data).every(Number.isFinite)).toBe(true);
  });

  it("names the columns it drops for holding ±Inf in a warning, apart from the constant ones", async () => {
    const inputs = raw(400);
    inputs.features.data[5 * 3 + 2] = Number.POSITIVE_INFINITY; // column b
    const ctx = stageContext({}, inputs);
    const out = await standardize.run(ctx);
    expect((out.transform as { dropped: string[] }).dropped).toEqual(["flat", "b"]);
    expect(ctx.logs).toContain(
      "warning: dropped 1 column(s) holding ±Inf values, whose std is not finite (as the seed does): b; " +
        "replace the infinities in the window parquet to keep them",
    );
    expect(ctx.logs).toContain("dropped 1 constant or all-missing column(s): flat");
  });

  it("gives identical bytes on a rerun", async () => {
    const a = await standardize.run(stageContext({}, raw(300)));
    const b = await standardize.run(stageContext({}, raw(300)));
    expect(sameBytes(a.features.data, b.features.data)).toBe(true);
  });

  it("gives identical outputs with 1, 2 and 3 threads on an input big enough to use them", async () => {
    const inputs = raw(Math.ceil(PARALLEL_MIN_VALUES / 3));
    const runs = [];
    for (const threads of [1, 2, 3]) runs.push(await standardize.run({ ...stageContext({}, inputs), threads }));
    // the threaded path hands back shared memory: this checks that it really ran
    expect(runs.map((out) => out.features.data.buffer instanceof SharedArrayBuffer)).toEqual([false, true, true]);
    for (const out of runs.slice(1)) {
      expect(sameBytes(out.features.data, runs[0]!.features.data)).toBe(true);
      expect(out.transform).toEqual(runs[0]!.transform);
    }
  });

  it("rejects a schema that does not match the matrix, naming the fix", async () => {
    const inputs = { ...raw(10), schema: { feature_names: ["a", "b"] } };
    await expect(async () => standardize.run(stageContext({}, inputs))).rejects.toThrow(InputError);
    await expect(async () => standardize.run(stageContext({}, inputs))).rejects.toThrow(/feature_names/);
  });

  it("rejects a table whose columns are all constant", async () => {
    const inputs = { features: matrix(4, 1, new Float32Array(4).fill(2)), schema: { feature_names: ["c"] } };
    await expect(async () => standardize.run(stageContext({}, inputs))).rejects.toThrow(/constant or all-NaN/);
  });
});
