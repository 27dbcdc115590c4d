import { join } from "node:path";
import { readFeatureNames } from "../src/io/feature-schema.ts";
import { readWindows, type Windows } from "../src/io/windows.ts";

/**
 * The demo window table in DIR, read by the load stage's own reader, so every bench piece
 * starts from exactly the matrix the pipeline sees (raw float32 features, NaN kept).
 */
export async function readDemoWindows(dir: string): Promise<Windows> {
  const file = (name: string) => ({ path: join(dir, name), display: name });
  const names = await readFeatureNames(file("feature_schema_v1.json"));
  return readWindows(file("features_window_v1.parquet"), names, null);
}
