import type { FileRef } from "../core/artifact.ts";
import { InputError, describeError } from "../core/errors.ts";
import { readParquetFile } from "../io/parquet.ts";
import { parseValidationTable, type ValidationRows } from "./validation.ts";

/** Reads and checks validation_v1.parquet; every failure is an InputError naming the file. */
export async function readValidationFile(file: FileRef): Promise<ValidationRows> {
  let table;
  try {
    ({ table } = await readParquetFile(file.path));
  } catch (error) {
    throw new InputError(
      `${file.display}: cannot read it as parquet (${describeError(error)})`,
      "point the classify stage's validation input at validation_v1.parquet, or regenerate it with `pipeline demo-data`",
    );
  }
  return parseValidationTable(table, file.display);
}
