import { canonicalJson, deriveSeed, ENGINE_VERSION, sha256 } from "./hash.ts";
import { commandKeyPart } from "./command.ts";
import type { ResolvedStage } from "./graph.ts";

/** Everything a stage's result depends on; the cache key is the sha256 of its canonical JSON. */
export type KeyParts = {
  engine: string;
  stage: string;
  uses: string;
  version: string;
  /** hash of the stage's code: its module and every local module it imports */
  code: string;
  params: unknown;
  seed: number;
  /** input slot -> sha256 of the upstream artifact's bytes (early cutoff) */
  inputs: Record<string, string>;
  /** input slot -> sha256 of the external file's bytes */
  sources: Record<string, string>;
  /** only on a sharded stage's shard entries and shard plan (src/core/shard.ts) */
  shard?: { index: number; count: number } | "plan";
  /** a command stage's command, deps and outs as declared (absent for every other stage, so their keys are unchanged) */
  command?: Record<string, unknown>;
};

export function stageKey(parts: KeyParts): string {
  return sha256(canonicalJson(parts));
}

/**
 * The key parts of `stage` once every input is known: `known` maps "stage.output" to the
 * object hash, `fileHash` hashes external files. Returns the refs still unknown otherwise.
 */
export function keyPartsFor(
  stage: ResolvedStage,
  globalSeed: number,
  code: string,
  known: ReadonlyMap<string, string>,
  fileHash: (path: string) => string,
): KeyParts | { waitingOn: string[] } {
  const waitingOn = stage.inputs.flatMap((b) =>
    b.kind === "ref" && !known.has(`${b.stage}.${b.output}`) ? [`${b.stage}.${b.output}`] : [],
  );
  if (waitingOn.length > 0) return { waitingOn };
  const inputs: Record<string, string> = {};
  const sources: Record<string, string> = {};
  for (const b of stage.inputs) {
    if (b.kind === "ref") inputs[b.slot] = known.get(`${b.stage}.${b.output}`)!;
    else sources[b.slot] = fileHash(b.path);
  }
  return {
    engine: ENGINE_VERSION,
    stage: stage.name,
    uses: stage.def.name,
    version: stage.def.version,
    code,
    params: stage.params,
    seed: deriveSeed(globalSeed, stage.name),
    inputs,
    sources,
    ...(stage.command ? { command: commandKeyPart(stage.command) } : {}),
  };
}

/** Which part of a key record changed, and how, in the user's terms: `params.k: 8 -> 5`. */
export interface KeyChange {
  part: "engine" | "version" | "code" | "command" | "seed" | "params" | "input" | "input-file";
  detail: string;
}

export function keyChanges(before: Record<string, unknown>, after: KeyParts): KeyChange[] {
  const changes: KeyChange[] = [];
  const b = before as Partial<KeyParts>;
  if (b.engine !== after.engine) changes.push({ part: "engine", detail: `pipeline engine version: ${b.engine} -> ${after.engine}` });
  if (b.version !== after.version) changes.push({ part: "version", detail: `stage version: ${b.version} -> ${after.version}` });
  if (b.code !== after.code) changes.push({ part: "code", detail: `stage code changed: ${short(b.code)} -> ${short(after.code)}` });
  changes.push(...diffValues("command", b.command, after.command).map((detail) => ({ part: "command" as const, detail })));
  if (b.seed !== after.seed) changes.push({ part: "seed", detail: `seed: ${b.seed} -> ${after.seed} (derived from the global seed)` });
  changes.push(...diffValues("params", b.params, after.params).map((detail) => ({ part: "params" as const, detail })));
  for (const [part, label, old, now] of [
    ["input", "input", b.inputs ?? {}, after.inputs],
    ["input-file", "input file", b.sources ?? {}, after.sources],
  ] as const) {
    for (const slot of [...new Set([...Object.keys(old), ...Object.keys(now)])].sort()) {
      if (old[slot] !== now[slot]) changes.push({ part, detail: `${label} ${slot}: sha ${short(old[slot])} -> ${short(now[slot])}` });
    }
  }
  return changes;
}

/** keyChanges as prose lines. */
export function diffKeyParts(before: Record<string, unknown>, after: KeyParts): string[] {
  return keyChanges(before, after).map((c) => c.detail);
}

function diffValues(path: string, before: unknown, after: unknown): string[] {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isRecord(before) && isRecord(after)) {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .sort()
      .flatMap((k) => diffValues(`${path}.${k}`, before[k], after[k]));
  }
  const a = before === undefined ? "(unset)" : JSON.stringify(before);
  const z = after === undefined ? "(unset)" : JSON.stringify(after);
  return a === z ? [] : [`${path}: ${a} -> ${z}`];
}

function short(hash: string | undefined): string {
  return hash ? `${hash.slice(0, 8)}..` : "(none)";
}
