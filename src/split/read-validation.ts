import type { FileRef } from "../core/artifact.ts";
import { InputError, describeError } from "../core/errors.ts";
import { readInputFile } from "../io/input-file.ts";
import { readParquet, type ParquetReadResult } from "../io/parquet.ts";
import { parseValidationTable, type ValidationRows } from "./validation.ts";

/** Reads and checks validation_v1.parquet; every failure is an InputError naming the file. */
export async function readValidationFile(file: FileRef): Promise<ValidationRows> {
  const bytes = await readInputFile(file);
  let table: ParquetReadResult["table"];
  try {
    ({ table } = readParquet(bytes));
  } catch (error) {
    throw new InputError(
      `${file.display}: cannot read it as parquet (${describeError(error)})`,
      "point the classify stage's validation input at validation_v1.parquet, or regenerate it with `pipeline demo-data`",
    );
  }
  return parseValidationTable(table, file.display);
}
