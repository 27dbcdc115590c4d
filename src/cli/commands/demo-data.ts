import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { EXIT, UsageError } from "../../core/errors.ts";
import { generateDemoData } from "../../demo/generate.ts";
import { parseCommandArgs, positiveInt } from "../args.ts";
import type { CliIO } from "../io.ts";

export const DEMO_HELP = `usage: pipeline demo-data [--rows N] [--features F] [--seed S] [--out DIR] [--if-missing]

Writes the three input files (features_window_v1.parquet, feature_schema_v1.json,
validation_v1.parquet) deterministically: same arguments, same bytes. Defaults: 150000 rows,
230 features, seed 0, out data/demo in the project folder. From 1000 rows up every host,
profile and phase is present, so the shipped pipeline.yaml runs on it unchanged.
--if-missing does nothing when the three files are already there.`;

export const DEMO_FILES = ["features_window_v1.parquet", "feature_schema_v1.json", "validation_v1.parquet"];

export async function demoDataCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("demo-data", argv, {
    rows: { type: "string" },
    features: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    "if-missing": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(DEMO_HELP);
    return EXIT.ok;
  }
  const rows = positiveInt("--rows", values.rows, 150_000);
  const features = positiveInt("--features", values.features, 230);
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number >= 0, got "${values.seed}"`);
  const outDir = values.out ? resolve(io.cwd, values.out) : join(io.projectDir, "data", "demo");
  if (values["if-missing"] && DEMO_FILES.every((f) => existsSync(join(outDir, f)))) {
    io.stdout(`demo data already in ${outDir}`);
    return EXIT.ok;
  }
  const started = Date.now();
  const { files } = await generateDemoData({ rows, features, seed, outDir }).catch((error: NodeJS.ErrnoException) => {
    if (!error.code) throw error;
    throw new UsageError(`cannot write the demo data to ${outDir}: ${error.message}`, "give --out a folder you can write to");
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  io.stdout(`wrote ${files.length} files (${rows} rows x ${features} features, seed ${seed}) to ${outDir} in ${seconds}s`);
  return EXIT.ok;
}
