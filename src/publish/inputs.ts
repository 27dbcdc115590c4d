/**
 * Reading what publish sends: the fit parquet (write-fit's knn_v1.parquet) and evaluate's
 * metrics. Bad files become InputErrors that name the file, the column or field, and the fix.
 */
import { z } from "zod";
import type { Table } from "../core/artifact.ts";
import { describeError, InputError } from "../core/errors.ts";
import { readParquet, readParquetSchema } from "../io/parquet.ts";
import { FIT_EVENT_COLUMNS, type ModelMetrics } from "./events.ts";

const NUMERIC_TYPES = new Set(["float32", "float64", "int8", "int16", "int32", "uint8", "uint16", "uint32", "int64", "uint64"]);
const FIT_HINT = "write it again with `pipeline run` (the stage that uses write-fit)";

/** The event columns of a fit parquet, checked: present and numeric. `display` names the file. */
export function readFit(bytes: Uint8Array, display: string): { table: Table; rows: number } {
  let schema: Record<string, string>;
  try {
    schema = readParquetSchema(bytes);
  } catch (error) {
    throw new InputError(`${display} is not a readable parquet file: ${describeError(error)}`, FIT_HINT);
  }
  for (const name of FIT_EVENT_COLUMNS) {
    const type = schema[name];
    if (type === undefined) throw new InputError(`${display}: column ${name} is missing`, FIT_HINT);
    if (!NUMERIC_TYPES.has(type)) {
      throw new InputError(`${display}: column ${name} should be numeric, found ${type}`, FIT_HINT);
    }
  }
  const { table } = readParquet(bytes, { columns: [...FIT_EVENT_COLUMNS] });
  const rows = table.x?.length ?? 0;
  return { table, rows };
}

const metricsSchema = z.looseObject({
  macro_f1: z.number(),
  latency: z.looseObject({ batch64_per_window_ms: z.number() }),
});

/** macro F1 and batch-64 latency from evaluate's metrics json (metrics_v1.json). */
export function parseModelMetrics(json: unknown, display: string): ModelMetrics {
  const parsed = metricsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join(".") || "(top level)";
    throw new InputError(
      `${display}: field ${field}: ${issue.message}`,
      "it should be evaluate's metrics (macro_f1, latency.batch64_per_window_ms); write it again with `pipeline run`",
    );
  }
  return { macroF1: parsed.data.macro_f1, batch64PerWindowMs: parsed.data.latency.batch64_per_window_ms };
}
