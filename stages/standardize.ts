import { z } from "zod";
import { matrix } from "../src/core/artifact.ts";
import { InputError } from "../src/core/errors.ts";
import { defineStage, slot } from "../src/core/stage.ts";
import { MIN_STD } from "../src/numeric/standardize.ts";
import { standardizeParallel } from "../src/numeric/standardize-parallel.ts";

export default defineStage({
  name: "standardize",
  version: "1",
  summary: "impute NaN with column medians, z-score with the population std, drop constant columns",
  params: z.strictObject({}),
  inputs: {
    features: slot.matrix("raw float32 features from load, NaN for missing values"),
    schema: slot.json("load's schema: feature_names in column order"),
  },
  outputs: {
    features: slot.matrix("n x kept standardized float32 features", { finite: true }),
    transform: slot.json("kept column indices and names, and per kept column median, mean and std; dropped names", {
      fields: ["kept", "names", "medians", "means", "stds", "dropped"],
    }),
  },
  async run({ inputs, threads, signal, log, warn, progress }) {
    const { rows, cols, data } = inputs.features;
    const names = featureNames(inputs.schema, cols);
    if (rows === 0) throw new InputError("standardize: the feature table has no rows", "check load.max_rows and the window parquet");
    progress(0, "column statistics");
    const result = await standardizeParallel(data, rows, cols, { threads, signal, onProgress: progress });
    const kept = Array.from(result.kept);
    const dropped = Array.from(result.dropped, (c) => names[c]!);
    if (kept.length === 0) {
      throw new InputError(
        `standardize: every one of the ${cols} feature columns is constant or all-NaN (std <= ${MIN_STD})`,
        "check that the feature columns named in the schema hold varying values",
      );
    }
    reportDropped(result.dropped, result.means, names, { log, warn });
    progress(1);
    return {
      features: matrix(rows, kept.length, result.data),
      transform: {
        kept,
        names: kept.map((c) => names[c]!),
        medians: kept.map((c) => result.medians[c]!),
        means: kept.map((c) => result.means[c]!),
        stds: kept.map((c) => result.stds[c]!),
        dropped,
      },
    };
  },
});

/**
 * Dropped columns, by why: one holding ±Inf has no finite mean or std (the seed drops it too),
 * which the user should hear about in every run; constant and all-missing ones are routine.
 */
function reportDropped(
  dropped: Int32Array,
  means: Float64Array,
  names: readonly string[],
  out: { log(m: string): void; warn(m: string): void },
): void {
  const list = (cols: number[]) =>
    `${cols
      .slice(0, 10)
      .map((c) => names[c]!)
      .join(", ")}${cols.length > 10 ? `, ... (${cols.length} in all)` : ""}`;
  const infinite = Array.from(dropped).filter((c) => !Number.isFinite(means[c]!));
  const flat = Array.from(dropped).filter((c) => Number.isFinite(means[c]!));
  if (infinite.length > 0) {
    out.warn(
      `dropped ${infinite.length} column(s) holding ±Inf values, whose std is not finite (as the seed does): ${list(infinite)}; ` +
        "replace the infinities in the window parquet to keep them",
    );
  }
  if (flat.length > 0) out.log(`dropped ${flat.length} constant or all-missing column(s): ${list(flat)}`);
}

function featureNames(schema: unknown, cols: number): string[] {
  const names = (schema as { feature_names?: unknown } | null)?.feature_names;
  if (!Array.isArray(names) || names.length !== cols || !names.every((n) => typeof n === "string")) {
    throw new InputError(
      `standardize: the schema input does not list ${cols} feature_names for the ${cols} feature columns`,
      "wire standardize's schema input to load.schema",
    );
  }
  return names as string[];
}
