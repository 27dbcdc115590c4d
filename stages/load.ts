import { z } from "zod";
import { defineStage, slot } from "../src/core/stage.ts";

export default defineStage({
  name: "load",
  version: "1",
  summary: "read the window parquet and the feature schema: raw float32 features, labels and ids",
  params: z.strictObject({
    max_rows: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(null)
      .describe("keep at most this many windows, evenly spaced (floor of linspace(0, n-1, max_rows)); null keeps all"),
  }),
  inputs: {
    windows: slot.path("features_window_v1.parquet: feature columns, phase, episode_id, host_id, profile"),
    schema: slot.path("feature_schema_v1.json: {feature_names: [...]} in column order"),
  },
  outputs: {
    features: slot.matrix("raw features, float32 row-major, NaN kept"),
    meta: slot.table("phase (Int8), episode_id, host_id, profile per kept window", {
      columns: ["phase", "episode_id", "host_id", "profile"],
    }),
    schema: slot.json("feature_names, rows_in_file, rows_kept", { fields: ["feature_names", "rows_in_file", "rows_kept"] }),
  },
  async run({ params, inputs, log }) {
    // NOTE: loaded here, not at the top: arrow and parquet-wasm cost every CLI call ~0.3 s to
    // import. (".js": tsc does not rewrite the extension of an import() that leaves this folder)
    const { readFeatureNames } = await import("../src/io/feature-schema.js");
    const { readWindows } = await import("../src/io/windows.js");
    const featureNames = await readFeatureNames(inputs.schema);
    const windows = await readWindows(inputs.windows, featureNames, params.max_rows);
    log(`kept ${windows.features.rows} of ${windows.rowsInFile} windows, ${featureNames.length} features`);
    return {
      features: windows.features,
      meta: { phase: windows.phase, episode_id: windows.episodeId, host_id: windows.hostId, profile: windows.profile },
      schema: { feature_names: featureNames, rows_in_file: windows.rowsInFile, rows_kept: windows.features.rows },
    };
  },
});
