import { z } from "zod";
import type { Column, Table } from "../src/core/artifact.ts";
import { InputError } from "../src/core/errors.ts";
import { defineStage, slot } from "../src/core/stage.ts";
import type { ColumnSpec } from "../src/io/parquet.ts";

export default defineStage({
  name: "write-fit",
  version: "1",
  summary: "write knn_v1.parquet: ids, xyz, phase, prediction, cluster and is_train per window (zstd)",
  params: z.strictObject({}),
  inputs: {
    meta: slot.table("load.meta: phase, episode_id, host_id, profile"),
    xyz: slot.matrix("project.xyz: n x 3 embedding in [0, 1]"),
    predictions: slot.table("classify.predictions: predicted, is_train"),
    clusters: slot.table("cluster.labels: cluster"),
  },
  outputs: {
    fit: slot.file("the exact bytes of knn_v1.parquet"),
  },
  async run({ inputs }) {
    // NOTE: loaded here, not at the top: arrow and parquet-wasm cost every CLI call ~0.3 s to import
    const { writeParquet } = await import("../src/io/parquet.js");
    const { meta, xyz, predictions, clusters } = inputs;
    const rows = meta.phase?.length ?? 0;
    if (xyz.cols !== 3)
      throw new InputError(`write-fit: xyz has ${xyz.cols} columns, expected 3`, "wire write-fit's xyz input to project.xyz");
    checkRows("xyz", xyz.rows, rows);
    const x = new Float32Array(rows);
    const y = new Float32Array(rows);
    const z3 = new Float32Array(rows);
    for (let i = 0; i < rows; i++) {
      x[i] = xyz.data[i * 3]!;
      y[i] = xyz.data[i * 3 + 1]!;
      z3[i] = xyz.data[i * 3 + 2]!;
    }
    const columns: ColumnSpec[] = [
      { name: "episode_id", type: "utf8", values: column(meta, "meta", "episode_id", rows, isStrings) },
      { name: "host_id", type: "utf8", values: column(meta, "meta", "host_id", rows, isStrings) },
      { name: "profile", type: "utf8", values: column(meta, "meta", "profile", rows, isStrings) },
      { name: "x", type: "float32", values: x },
      { name: "y", type: "float32", values: y },
      { name: "z", type: "float32", values: z3 },
      { name: "phase_int", type: "int8", values: column(meta, "meta", "phase", rows, is(Int8Array)) },
      { name: "predicted_int", type: "int8", values: column(predictions, "predictions", "predicted", rows, is(Int8Array)) },
      { name: "cluster", type: "int32", values: column(clusters, "clusters", "cluster", rows, is(Int32Array)) },
      { name: "is_train", type: "bool", values: column(predictions, "predictions", "is_train", rows, is(Uint8Array)) },
    ];
    return { fit: writeParquet(columns) };
  },
});

const isStrings = (c: Column): boolean => Array.isArray(c);
const is =
  (type: abstract new (...args: never[]) => unknown) =>
  (c: Column): boolean =>
    c instanceof type;

/** A column of the expected kind and length, or an InputError naming the input slot and column. */
function column(table: Table, input: string, name: string, rows: number, check: (c: Column) => boolean): Column {
  const values = table[name];
  if (values === undefined || !check(values)) {
    throw new InputError(
      `write-fit: input ${input} has no suitable ${name} column`,
      `wire write-fit's ${input} input to the stage that produces ${name}`,
    );
  }
  checkRows(`${input}.${name}`, values.length, rows);
  return values;
}

function checkRows(what: string, got: number, rows: number): void {
  if (got !== rows) {
    throw new InputError(
      `write-fit: ${what} has ${got} rows but meta has ${rows}`,
      "all of write-fit's inputs must come from the same load run; rerun the pipeline so they agree",
    );
  }
}
