import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileRef } from "../../src/core/artifact.ts";
import { InputError } from "../../src/core/errors.ts";
import { buildDemoData } from "../../src/demo/generate.ts";
import { keptRows } from "../../src/io/windows.ts";
import { writeParquet, type ColumnSpec } from "../../src/io/parquet.ts";
import load from "../../stages/load.ts";
import { duckRows } from "../helpers/duckdb.ts";
import { stageContext } from "../helpers/stage-context.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "load-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ref = (name: string): FileRef => ({ path: join(dir, name), display: `data/${name}` });

/** Five windows: f_a float32 (with a NaN), f_b float64, then the label columns. */
function windowColumns(overrides: Partial<Record<string, ColumnSpec | null>> = {}): ColumnSpec[] {
  const base: ColumnSpec[] = [
    { name: "f_a", type: "float32", values: new Float32Array([1, Number.NaN, 3, 4, 5]) },
    { name: "f_b", type: "float64", values: new Float64Array([0.1, 0.2, 0.3, 0.4, 1e-50]) },
    { name: "extra", type: "utf8", values: ["not", "a", "feature", "at", "all"] },
    { name: "phase", type: "int8", values: new Int8Array([0, 1, 2, 3, 5]) },
    { name: "episode_id", type: "utf8", values: ["e1", "e1", "e2", "e2", "e3"] },
    { name: "host_id", type: "utf8", values: ["h1", "h1", "h2", "h2", "h1"] },
    { name: "profile", type: "utf8", values: ["worm", "worm", "botnet", "botnet", "worm"] },
  ];
  const out = base.map((c) => (c.name in overrides ? overrides[c.name] : c)).filter((c): c is ColumnSpec => c !== null && c !== undefined);
  for (const [name, spec] of Object.entries(overrides)) if (spec && !base.some((c) => c.name === name)) out.push(spec);
  return out;
}

async function setup(name: string, columns: ColumnSpec[] | Uint8Array, schema: unknown = { feature_names: ["f_a", "f_b"] }) {
  const windows = ref(`${name}.parquet`);
  const schemaFile = ref(`${name}.json`);
  await writeFile(windows.path, columns instanceof Uint8Array ? columns : writeParquet(columns));
  await writeFile(schemaFile.path, typeof schema === "string" ? schema : JSON.stringify(schema));
  return { windows, schema: schemaFile };
}

async function runLoad(inputs: { windows: FileRef; schema: FileRef }, maxRows: number | null = null) {
  return load.run(stageContext(load.params.parse({ max_rows: maxRows }), inputs));
}

describe("load", () => {
  it("reads features row-major float32 with NaN kept, float64 rounded, labels and schema", async () => {
    const out = await runLoad(await setup("ok", windowColumns()));
    expect([out.features.rows, out.features.cols]).toEqual([5, 2]);
    expect(Array.from(out.features.data.subarray(0, 4))).toEqual([1, Math.fround(0.1), Number.NaN, Math.fround(0.2)]);
    expect(out.features.data[9]).toBe(Math.fround(1e-50)); // float64 → float32 underflows to 0
    expect(out.meta.phase).toEqual(new Int8Array([0, 1, 2, 3, 5]));
    expect(out.meta.episode_id).toEqual(["e1", "e1", "e2", "e2", "e3"]);
    expect(out.meta.host_id).toEqual(["h1", "h1", "h2", "h2", "h1"]);
    expect(out.meta.profile).toEqual(["worm", "worm", "botnet", "botnet", "worm"]);
    expect(out.schema).toEqual({ feature_names: ["f_a", "f_b"], rows_in_file: 5, rows_kept: 5 });
  });

  it("follows the schema's feature order, not the file's", async () => {
    const out = await runLoad(await setup("order", windowColumns(), { feature_names: ["f_b", "f_a"] }));
    expect(Array.from(out.features.data.subarray(0, 2))).toEqual([Math.fround(0.1), 1]);
  });

  it("keeps floor(linspace(0, n-1, max_rows)) rows", async () => {
    const out = await runLoad(await setup("sub", windowColumns()), 3);
    expect(out.meta.phase).toEqual(new Int8Array([0, 2, 5]));
    expect(Array.from(out.features.data)).toEqual([1, Math.fround(0.1), 3, Math.fround(0.3), 5, 0]);
    expect(out.schema).toMatchObject({ rows_in_file: 5, rows_kept: 3 });
  });

  it("matches numpy's linspace + int cast on awkward sizes", () => {
    // np.linspace(0, 9, 4).astype(int) -> [0, 3, 6, 9]; np.linspace(0, 99, 7) -> [0, 16, 33, 49, 66, 82, 99]
    expect(Array.from(keptRows(10, 4))).toEqual([0, 3, 6, 9]);
    expect(Array.from(keptRows(100, 7))).toEqual([0, 16, 33, 49, 66, 82, 99]);
    expect(Array.from(keptRows(5, 1))).toEqual([0]);
    expect(Array.from(keptRows(5, 9))).toEqual([0, 1, 2, 3, 4]);
    // values printed by numpy 1.x (/usr/bin/python3): np.linspace(0, n - 1, m).astype(np.int64)
    const a = keptRows(150000, 50000);
    expect([...a.subarray(0, 4), ...a.subarray(-3)]).toEqual([0, 3, 6, 9, 149992, 149995, 149999]);
    const b = keptRows(1000000, 333333);
    expect(b.reduce((s, v) => s + v, 0)).toBe(166666166668);
    const c = keptRows(150000, 70001);
    expect(c.reduce((s, v) => s + v, 0)).toBe(5250005000);
    expect([c[1], c[2], c[3], c[35000], c[70000]]).toEqual([2, 4, 6, 74999, 149999]);
  });

  it("rejects max_rows that is not a positive integer", () => {
    expect(() => load.params.parse({ max_rows: 0 })).toThrow();
    expect(() => load.params.parse({ max_rows: 2.5 })).toThrow();
    expect(load.params.parse({})).toEqual({ max_rows: null });
  });

  it("loads generated demo data end to end", async () => {
    const demo = buildDemoData(1000, 12, 3);
    await writeFile(ref("demo.parquet").path, demo.windows);
    await writeFile(ref("demo.json").path, demo.schema);
    const out = await runLoad({ windows: ref("demo.parquet"), schema: ref("demo.json") }, 400);
    expect([out.features.rows, out.features.cols]).toEqual([400, 12]);
    expect(new Set(out.meta.host_id as string[]).size).toBe(6);
  });
});

describe("load errors name the file, the column and the fix", () => {
  async function expectInputError(inputs: { windows: FileRef; schema: FileRef }, pattern: RegExp) {
    const error = await runLoad(inputs).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(pattern);
    expect((error as InputError).hint ?? "").not.toBe("");
    return error as InputError;
  }

  it("missing window file", async () => {
    const inputs = await setup("nofile", windowColumns());
    await expectInputError({ ...inputs, windows: ref("absent.parquet") }, /data\/absent\.parquet: file not found/);
  });

  it("window file that is not parquet", async () => {
    await expectInputError(
      await setup("garbage", new TextEncoder().encode("phase,host\n1,a\n")),
      /data\/garbage\.parquet: cannot read it as parquet/,
    );
  });

  it("missing schema file", async () => {
    const inputs = await setup("noschema", windowColumns());
    await expectInputError({ ...inputs, schema: ref("absent.json") }, /data\/absent\.json: file not found/);
  });

  it("schema that is not json", async () => {
    await expectInputError(await setup("badjson", windowColumns(), "{feature_names: [f_a"), /data\/badjson\.json: not valid JSON/);
  });

  it("schema without feature_names", async () => {
    const e = await expectInputError(
      await setup("nonames", windowColumns(), { features: ["f_a"] }),
      /data\/nonames\.json: field feature_names/,
    );
    expect(e.hint).toMatch(/feature_names/);
  });

  it("duplicate feature names", async () => {
    await expectInputError(
      await setup("dupe", windowColumns(), { feature_names: ["f_a", "f_b", "f_a"] }),
      /data\/dupe\.json: feature_names lists column f_a more than once/,
    );
  });

  it("feature column missing from the parquet", async () => {
    await expectInputError(
      await setup("nocol", windowColumns(), { feature_names: ["f_a", "f_zzz"] }),
      /data\/nocol\.parquet: column f_zzz is missing/,
    );
  });

  it("non-numeric feature column", async () => {
    await expectInputError(
      await setup("strfeat", windowColumns(), { feature_names: ["f_a", "extra"] }),
      /data\/strfeat\.parquet: column extra is utf8, not numeric/,
    );
  });

  for (const label of ["phase", "episode_id", "host_id", "profile"]) {
    it(`missing ${label} column`, async () => {
      await expectInputError(
        await setup(`no_${label}`, windowColumns({ [label]: null })),
        new RegExp(`data/no_${label}\\.parquet: column ${label} is missing`),
      );
    });
  }

  it("phase code out of range", async () => {
    const columns = windowColumns({ phase: { name: "phase", type: "int8", values: new Int8Array([0, 1, 6, 3, 5]) } });
    await expectInputError(await setup("phase6", columns), /data\/phase6\.parquet: column phase holds 6 at row 2, outside 0\.\.5/);
    const negative = windowColumns({ phase: { name: "phase", type: "int32", values: new Int32Array([0, -1, 2, 3, 5]) } });
    await expectInputError(await setup("phaseneg", negative), /column phase holds -1 at row 1/);
  });

  it("phase stored as text", async () => {
    const columns = windowColumns({ phase: { name: "phase", type: "utf8", values: ["0", "1", "2", "3", "5"] } });
    await expectInputError(await setup("phasetext", columns), /data\/phasetext\.parquet: column phase is utf8, not an integer phase code/);
  });

  it("phase with missing values", async () => {
    const path = ref("phasenull.parquet").path;
    await duckRows(
      `copy (select i::float as f_a, i::double as f_b, case when i = 3 then null else (i % 6)::tinyint end as phase,
              'e' || i as episode_id, 'h' as host_id, 'worm' as profile from range(6) t(i)) to '${path}' (format parquet)`,
    );
    await writeFile(ref("phasenull.json").path, JSON.stringify({ feature_names: ["f_a", "f_b"] }));
    await expectInputError(
      { windows: ref("phasenull.parquet"), schema: ref("phasenull.json") },
      /data\/phasenull\.parquet: column phase has 1 missing values/,
    );
  });

  it("empty table", async () => {
    const empty = windowColumns().map((c) => ({ ...c, values: c.type === "utf8" ? [] : (c.values as Float32Array).subarray(0, 0) }));
    await expectInputError(await setup("empty", empty), /data\/empty\.parquet: the table has no rows/);
  });
});
