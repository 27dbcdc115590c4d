/**
 * `pipeline demo-data`: writes the three input files of SPEC section 1, deterministically
 * (same arguments → byte-identical files), with every host, profile and phase present from
 * 1,000 rows up.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createRng } from "../core/rng.ts";
import { writeParquet, type ColumnSpec } from "../io/parquet.ts";
import { DEMO_HOSTS, DEMO_PROFILES, featureName, sampleName } from "./catalog.ts";
import { isFloat64Feature, rawColumns } from "./columns.ts";
import { planEpisodes, type Episode } from "./episodes.ts";
import { latentFeatures } from "./features.ts";

export const DEMO_FILES = {
  windows: "features_window_v1.parquet",
  schema: "feature_schema_v1.json",
  validation: "validation_v1.parquet",
} as const;

export interface DemoDataOptions {
  /** windows to write (default 150,000) */
  rows?: number;
  /** feature columns (default 230) */
  features?: number;
  /** seed of the generator (default 0) */
  seed?: number;
  /** folder to write into; created if missing */
  outDir: string;
}

/** Generate and write the demo inputs; returns the absolute-or-as-given paths written. */
export async function generateDemoData(options: DemoDataOptions): Promise<{ files: string[] }> {
  const { rows = 150_000, features = 230, seed = 0, outDir } = options;
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`rows must be a positive integer, got ${rows}`);
  if (!Number.isInteger(features) || features < 1) throw new RangeError(`features must be a positive integer, got ${features}`);
  const data = buildDemoData(rows, features, seed);
  await mkdir(outDir, { recursive: true });
  const files = [
    await writeAtomically(join(outDir, DEMO_FILES.windows), data.windows),
    await writeAtomically(join(outDir, DEMO_FILES.schema), data.schema),
    await writeAtomically(join(outDir, DEMO_FILES.validation), data.validation),
  ];
  return { files };
}

/** The bytes of the three files, without touching the disk. */
export function buildDemoData(
  rows: number,
  features: number,
  seed: number,
): { windows: Uint8Array; schema: Uint8Array; validation: Uint8Array } {
  const rng = createRng(seed);
  const episodes = planEpisodes(rows, rng.fork("episodes"));
  const latent = latentFeatures(episodes, features, rng.fork("features"));
  const raw = rawColumns(latent, rows, features, rng.fork("columns"));
  const names = Array.from({ length: features }, (_, j) => featureName(j));
  const windowColumns: ColumnSpec[] = names.map((name, j) => ({
    name,
    type: isFloat64Feature(j) ? "float64" : "float32",
    values: raw.columns[j]!,
  }));
  windowColumns.push(...labelColumns(episodes, rows));
  const schema = `${JSON.stringify({ feature_names: names }, null, 2)}\n`;
  return {
    windows: writeParquet(windowColumns),
    schema: new TextEncoder().encode(schema),
    validation: writeParquet(validationColumns(episodes)),
  };
}

function labelColumns(episodes: readonly Episode[], rows: number): ColumnSpec[] {
  const phase = new Int8Array(rows);
  const episodeId = new Array<string>(rows);
  const host = new Array<string>(rows);
  const profile = new Array<string>(rows);
  let at = 0;
  for (const e of episodes) {
    phase.set(e.phases, at);
    episodeId.fill(e.id, at, at + e.phases.length);
    host.fill(DEMO_HOSTS[e.host]!.name, at, at + e.phases.length);
    profile.fill(DEMO_PROFILES[e.profile]!, at, at + e.phases.length);
    at += e.phases.length;
  }
  return [
    { name: "phase", type: "int8", values: phase },
    { name: "episode_id", type: "utf8", values: episodeId },
    { name: "host_id", type: "utf8", values: host },
    { name: "profile", type: "utf8", values: profile },
  ];
}

function validationColumns(episodes: readonly Episode[]): ColumnSpec[] {
  return [
    { name: "episode_id", type: "utf8", values: episodes.map((e) => e.id) },
    { name: "host_id", type: "utf8", values: episodes.map((e) => DEMO_HOSTS[e.host]!.name) },
    { name: "profile", type: "utf8", values: episodes.map((e) => DEMO_PROFILES[e.profile]!) },
    { name: "sample_name", type: "utf8", values: episodes.map((e) => sampleName(DEMO_PROFILES[e.profile]!, e.sample)) },
    { name: "status", type: "utf8", values: episodes.map((e) => e.status) },
  ];
}

/** temp file + rename, so an interrupted run never leaves a half-written input behind */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<string> {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, bytes);
  await rename(temp, path);
  return path;
}
