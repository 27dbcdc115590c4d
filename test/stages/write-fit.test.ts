import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matrix } from "../../src/core/artifact.ts";
import { InputError } from "../../src/core/errors.ts";
import { packageRoot } from "../../src/core/paths.ts";
import { readParquet } from "../../src/io/parquet.ts";
import writeFit from "../../stages/write-fit.ts";
import { stageContext } from "../helpers/stage-context.ts";
import { duckChunks, duckRows, duckTypes, FIT_SQL_TYPES } from "../helpers/duckdb.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "write-fit-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function inputs(n: number) {
  return {
    meta: {
      phase: Int8Array.from({ length: n }, (_, i) => i % 6),
      episode_id: Array.from({ length: n }, (_, i) => `ep${i >> 2}`),
      host_id: Array.from({ length: n }, (_, i) => (i % 2 ? "lab-node-01" : "qemu-vm-b")),
      profile: Array.from({ length: n }, (_, i) => (i % 3 ? "worm" : "ransomware")),
    },
    xyz: matrix(
      n,
      3,
      Float32Array.from({ length: n * 3 }, (_, i) => (i % 97) / 96),
    ),
    predictions: {
      predicted: Int8Array.from({ length: n }, (_, i) => (i * 5) % 6),
      is_train: Uint8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0)),
      role: Int8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 0 : 2)),
    },
    clusters: { cluster: Int32Array.from({ length: n }, (_, i) => i % 8) },
  };
}

const run = async (i: ReturnType<typeof inputs>) => (await writeFit.run(stageContext(writeFit.params.parse({}), i))) as { fit: Uint8Array };

describe("write-fit", () => {
  it("writes knn_v1.parquet with SPEC's 10 columns, order and types, zstd, readable by DuckDB", async () => {
    const given = inputs(200);
    const path = join(dir, "knn_v1.parquet");
    await writeFile(path, (await run(given)).fit);
    expect(await duckTypes(path)).toEqual(FIT_SQL_TYPES);
    expect(Object.keys(await duckTypes(path))).toEqual([
      "episode_id",
      "host_id",
      "profile",
      "x",
      "y",
      "z",
      "phase_int",
      "predicted_int",
      "cluster",
      "is_train",
    ]);
    for (const chunk of await duckChunks(path)) expect(chunk.compression, chunk.column).toBe("ZSTD");
    const rows = await duckRows(`select * from read_parquet('${path}')`);
    expect(rows.length).toBe(200);
    const row = rows[13]!;
    expect(row).toEqual({
      episode_id: "ep3",
      host_id: "lab-node-01",
      profile: "worm",
      x: given.xyz.data[39],
      y: given.xyz.data[40],
      z: given.xyz.data[41],
      phase_int: 1,
      predicted_int: 5,
      cluster: 5,
      is_train: false,
    });
    expect(rows[12]!.is_train).toBe(true);
  });

  it("round-trips through readParquet", async () => {
    const given = inputs(50);
    const { table, types } = readParquet((await run(given)).fit);
    expect(types.is_train).toBe("bool");
    expect(table.is_train).toEqual(given.predictions.is_train);
    expect(table.predicted_int).toEqual(given.predictions.predicted);
    expect(table.x).toEqual(Float32Array.from({ length: 50 }, (_, i) => given.xyz.data[i * 3]!));
  });

  it("gives identical bytes on a rerun, and in a separate node process", async () => {
    const a = (await run(inputs(300))).fit;
    const b = (await run(inputs(300))).fit;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const compiled = join(packageRoot(), "dist", "stages", "write-fit.js");
    expect(existsSync(compiled), `missing ${compiled}: run npm run build`).toBe(true);
    const script = `
      import { createHash } from "node:crypto";
      import writeFit from ${JSON.stringify(compiled)};
      const n = 300;
      const out = await writeFit.run({ params: {}, inputs: {
        meta: {
          phase: Int8Array.from({ length: n }, (_, i) => i % 6),
          episode_id: Array.from({ length: n }, (_, i) => "ep" + (i >> 2)),
          host_id: Array.from({ length: n }, (_, i) => (i % 2 ? "lab-node-01" : "qemu-vm-b")),
          profile: Array.from({ length: n }, (_, i) => (i % 3 ? "worm" : "ransomware")),
        },
        xyz: { rows: n, cols: 3, data: Float32Array.from({ length: n * 3 }, (_, i) => (i % 97) / 96) },
        predictions: {
          predicted: Int8Array.from({ length: n }, (_, i) => (i * 5) % 6),
          is_train: Uint8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0)),
          role: Int8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 0 : 2)),
        },
        clusters: { cluster: Int32Array.from({ length: n }, (_, i) => i % 8) },
      } });
      console.log(createHash("sha256").update(out.fit).digest("hex"));`;
    const child = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }).trim();
    expect(child).toBe(createHash("sha256").update(a).digest("hex"));
  });

  it("refuses inputs whose row counts disagree, naming the input", async () => {
    const given = inputs(20);
    const short = { ...given, clusters: { cluster: new Int32Array(19) } };
    await expect(run(short)).rejects.toThrow(InputError);
    await expect(run(short)).rejects.toThrow(/clusters\.cluster has 19 rows but meta has 20/);
    const xyz = { ...given, xyz: matrix(21, 3) };
    await expect(run(xyz)).rejects.toThrow(/xyz has 21 rows but meta has 20/);
    const wrongType = { ...given, predictions: { ...given.predictions, is_train: new Int8Array(20) } };
    await expect(run(wrongType as never)).rejects.toThrow(/predictions has no suitable is_train column/);
  });
});
