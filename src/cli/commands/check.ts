import { readParquet, type ParquetReadResult } from "../../io/parquet.ts";
import type { ObjectRef } from "../../cache/entries.ts";
import { canonicalJson } from "../../core/hash.ts";
import type { RunOutcome } from "../../engine/run.ts";
import { compareOutput, materializedBytes, type OutputState } from "../../engine/outputs.ts";
import type { Project } from "../project.ts";

/** One declared output file against what this commit computes. */
export interface CheckResult {
  path: string;
  state: "same" | "same-except-measured" | "missing" | "differs";
  /** what differs, as lines: parquet per column, json per field (old -> new) */
  details: string[];
}

/**
 * `run --check`: every declared output file is compared with what this commit computes, and
 * nothing on disk is touched. Parquet differences are described per column, json ones per
 * field; json outputs leave out the fields their stage marks as measurements (evaluate's latency).
 */
export async function checkOutputs(project: Project, outcome: RunOutcome, log: (line: string) => void): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const stage of project.pipeline.stages.values()) {
    for (const binding of stage.outputs) {
      const ref = outcome.known.get(`${stage.name}.${binding.slot}`);
      if (!ref) continue;
      const expected = (await materializedBytes(project.store, ref))!;
      const result = checkOne(
        binding.display,
        ref,
        expected,
        compareOutput(binding, expected, project.hasher),
        stage.def.outputs[binding.slot]?.measured ?? [],
      );
      log(`check: ${binding.display} ${HEADLINE[result.state]}`);
      for (const line of result.details) log(`  ${line}`);
      results.push(result);
    }
  }
  return results;
}

const HEADLINE: Record<CheckResult["state"], string> = {
  same: "is identical",
  "same-except-measured": "is identical except measured fields",
  missing: "does not exist (run `pipeline run` to write it)",
  differs: "differs from what this pipeline computes",
};

function checkOne(path: string, ref: ObjectRef, expected: Uint8Array, state: OutputState, measured: readonly string[]): CheckResult {
  if (state.state === "same" || state.state === "missing") return { path, state: state.state, details: [] };
  if (ref.kind === "json") {
    const fields = jsonDifferences(expected, state.onDisk, measured);
    if (fields.length === 0) return { path, state: "same-except-measured", details: [`left out: ${measured.join(", ")}`] };
    return { path, state: "differs", details: fields };
  }
  return { path, state: "differs", details: describeDifference(expected, state.onDisk) };
}

/** Differing json fields as `path: old -> new` (the file on disk is old), measured fields left out. */
function jsonDifferences(expected: Uint8Array, onDisk: Uint8Array, measured: readonly string[]): string[] {
  const parse = (bytes: Uint8Array): unknown => JSON.parse(Buffer.from(bytes).toString("utf8"));
  let want: unknown, have: unknown;
  try {
    want = parse(expected);
    have = parse(onDisk);
  } catch {
    return ["the file on disk is not valid JSON"];
  }
  const lines: string[] = [];
  const visit = (at: string, a: unknown, b: unknown): void => {
    if (lines.length > MAX_FIELD_LINES) return;
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
    if (isObject(a) && isObject(b) && Array.isArray(a) === Array.isArray(b)) {
      for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        if (at === "" && measured.includes(key)) continue;
        visit(at === "" ? key : Array.isArray(a) ? `${at}[${key}]` : `${at}.${key}`, a[key], b[key]);
      }
      return;
    }
    if (canonicalJson(a ?? null) !== canonicalJson(b ?? null) || (a === undefined) !== (b === undefined)) {
      lines.push(`${at}: ${shown(b)} -> ${shown(a)}`);
    }
  };
  visit("", want, have);
  if (lines.length > MAX_FIELD_LINES) return [...lines.slice(0, MAX_FIELD_LINES), "... and more"];
  return lines;
}

const MAX_FIELD_LINES = 20;

function shown(value: unknown): string {
  if (value === undefined) return "(absent)";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describeDifference(expected: Uint8Array, onDisk: Uint8Array): string[] {
  let want: ParquetReadResult["table"];
  let have: ParquetReadResult["table"];
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
  let differing = 0;
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
    if (count > 0) differing++;
    if (count > 0)
      lines.push(`${name.padEnd(18)}${String(count).padStart(9)}   ${typeof a[0] === "number" ? maxDiff.toPrecision(4) : "-"}`);
  }
  if (differing === 0) lines.push("(same values; the bytes differ in encoding or metadata)");
  return lines;
}
