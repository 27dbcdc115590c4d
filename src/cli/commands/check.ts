import { readParquet } from "../../io/parquet.ts";
import type { ObjectRef } from "../../cache/store.ts";
import { canonicalJson } from "../../core/hash.ts";
import type { RunOutcome } from "../../engine/run.ts";
import { compareOutput, materializedBytes } from "../../engine/outputs.ts";
import type { Project } from "../project.ts";

/**
 * `run --check`: every declared output file is compared with what this commit computes, and
 * nothing on disk is touched. Parquet differences are described per column; json outputs
 * leave out the fields their stage marks as measurements (evaluate's latency).
 */
export function checkOutputs(project: Project, outcome: RunOutcome, log: (line: string) => void): boolean {
  let same = true;
  for (const stage of project.pipeline.stages.values()) {
    for (const binding of stage.outputs) {
      const ref = outcome.known.get(`${stage.name}.${binding.slot}`);
      if (!ref) continue;
      const expected = materializedBytes(project.store, ref)!;
      const state = compareOutput(binding, expected, project.hasher);
      if (state.state === "same") {
        log(`check: ${binding.display} is identical`);
        continue;
      }
      if (state.state === "missing") {
        log(`check: ${binding.display} does not exist (run \`pipeline run\` to write it)`);
        same = false;
        continue;
      }
      const measured = stage.def.outputs[binding.slot]?.measured ?? [];
      if (ref.kind === "json" && jsonEqualExcept(expected, state.onDisk, measured)) {
        log(`check: ${binding.display} is identical except measured fields (${measured.join(", ")})`);
        continue;
      }
      same = false;
      log(`check: ${binding.display} differs from what this pipeline computes`);
      for (const line of describeDifference(ref, expected, state.onDisk)) log(`  ${line}`);
    }
  }
  return same;
}

function jsonEqualExcept(a: Uint8Array, b: Uint8Array, measured: readonly string[]): boolean {
  try {
    const strip = (bytes: Uint8Array) => {
      const value = JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, unknown>;
      for (const key of measured) delete value[key];
      return canonicalJson(value);
    };
    return strip(a) === strip(b);
  } catch {
    return false;
  }
}

function describeDifference(ref: ObjectRef, expected: Uint8Array, onDisk: Uint8Array): string[] {
  if (ref.kind !== "file") return ["json content differs"];
  let want, have;
  try {
    want = readParquet(expected).table;
    have = readParquet(onDisk).table;
  } catch {
    return [`bytes differ (${expected.length} expected, ${onDisk.length} on disk); the file on disk is not readable parquet`];
  }
  const rows = (t: Record<string, ArrayLike<unknown>>) => Object.values(t)[0]?.length ?? 0;
  const lines = [`rows: expected ${rows(want)}, on disk ${rows(have)}`];
  const wantCols = Object.keys(want);
  const haveCols = Object.keys(have);
  if (wantCols.join(",") !== haveCols.join(",")) lines.push(`columns: expected [${wantCols.join(", ")}], on disk [${haveCols.join(", ")}]`);
  lines.push("column            differing   max |difference|");
  for (const name of wantCols) {
    const a = want[name]!;
    const b = have[name];
    if (!b) continue;
    const n = Math.min(a.length, b.length);
    let count = Math.abs(a.length - b.length);
    let maxDiff = 0;
    for (let i = 0; i < n; i++) {
      const x = a[i];
      const y = b[i];
      if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
      count++;
      if (typeof x === "number" && typeof y === "number") maxDiff = Math.max(maxDiff, Math.abs(x - y));
    }
    if (count > 0) lines.push(`${name.padEnd(18)}${String(count).padStart(9)}   ${typeof a[0] === "number" ? maxDiff.toPrecision(4) : "-"}`);
  }
  if (lines.length === 3) lines.push("(same values; the bytes differ in encoding or metadata)");
  return lines;
}
