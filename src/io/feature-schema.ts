/** Reading feature_schema_v1.json: which columns of the window parquet are features, in order. */
import type { FileRef } from "../core/artifact.ts";
import { InputError, describeError } from "../core/errors.ts";
import { readInputFile } from "./input-file.ts";

/** The feature names listed by the schema file; every problem is an InputError naming the file. */
export async function readFeatureNames(file: FileRef): Promise<string[]> {
  const text = await readInputText(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(
      `${file.display}: not valid JSON (${describeError(error)})`,
      `write it as {"feature_names": ["col_a", "col_b", ...]}`,
    );
  }
  const names = (parsed as { feature_names?: unknown } | null)?.feature_names;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === "string" && n.length > 0)) {
    throw new InputError(
      `${file.display}: field feature_names must be a non-empty list of column names`,
      `write it as {"feature_names": ["col_a", "col_b", ...]}, naming the feature columns of the window parquet`,
    );
  }
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) {
    throw new InputError(
      `${file.display}: feature_names lists column ${duplicate} more than once`,
      "list each feature column once in feature_names",
    );
  }
  return names as string[];
}

async function readInputText(file: FileRef): Promise<string> {
  return new TextDecoder().decode(await readInputFile(file));
}
