import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FileRef, Matrix, Table } from "../../../src/core/artifact.ts";
import { writeParquet } from "../../../src/io/parquet.ts";
import { validationRows } from "./validation-fixture.ts";

export const DIMS = 6;
const WINDOWS_PER_EPISODE = 4;

/**
 * Windows for every episode of the split fixture's validation rows, plus windows of an
 * episode the table does not know. Features sit near a per-phase centre so the KNN has
 * something to learn; a tiny LCG keeps the data deterministic without an RNG dependency.
 */
export function classifyInputs(): { features: Matrix; meta: Table; validation: FileRef } {
  const rows = validationRows(1);
  const episodes = [...rows.episodeId, "ep-unknown"];
  const phase: number[] = [];
  const episodeIds: string[] = [];
  for (const episode of episodes) {
    for (let w = 0; w < WINDOWS_PER_EPISODE; w++) {
      phase.push(phase.length % 6);
      episodeIds.push(episode);
    }
  }
  let state = 12345;
  const noise = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5) * 1.2;
  const data = new Float32Array(phase.length * DIMS);
  phase.forEach((p, i) => {
    for (let d = 0; d < DIMS; d++) data[i * DIMS + d] = (d === p ? 2 : 0) + noise();
  });
  return {
    features: { rows: phase.length, cols: DIMS, data },
    meta: { phase: Int8Array.from(phase), episode_id: episodeIds, host_id: episodeIds.map(() => "h"), profile: episodeIds.map(() => "p") },
    validation: writeValidation({
      episode_id: rows.episodeId,
      host_id: rows.hostId,
      profile: rows.profile,
      sample_name: rows.sampleName,
      status: rows.status,
    }),
  };
}

/** Writes string columns as a real parquet file in a fresh temp folder. */
export function writeValidation(columns: Record<string, readonly string[]>): FileRef {
  const dir = mkdtempSync(join(tmpdir(), "classify-"));
  const path = join(dir, "validation_v1.parquet");
  const specs = Object.entries(columns).map(([name, values]) => ({ name, type: "utf8" as const, values }));
  writeFileSync(path, writeParquet(specs));
  return { path, display: "data/demo/validation_v1.parquet" };
}
