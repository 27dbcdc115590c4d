import { readFileSync, rmSync } from "node:fs";
import { decodeArtifact } from "../../cache/codec.ts";
import type { CacheEntry } from "../../cache/store.ts";
import { describeError, EXIT } from "../../core/errors.ts";
import { commandKeyPart } from "../../core/command.ts";
import { canonicalJson, sha256 } from "../../core/hash.ts";
import { outputSlotsMismatch, slotMismatch } from "../../core/slot-check.ts";
import type { AnyStage } from "../../core/stage.ts";
import type { CliIO } from "../io.ts";
import { openProject, type Project } from "../project.ts";
import { lockProject } from "../project-lock.ts";

/**
 * `pipeline cache verify`, under the project lock (a run never sees it delete what it just
 * wrote): every object is re-hashed; every entry must be sealed, its key parts must hash to its
 * key, and each object it names must decode as the output slot its stage declares.
 * Damaged objects and entries are reported and deleted; exit 1 when anything was.
 */
export async function verifyCache(io: CliIO): Promise<number> {
  const project = await openProject(io.projectDir, [], (m) => io.stderr(`warning: ${m}`));
  const { store } = project;
  store.ensure();
  const release = await lockProject(store.root, io, { wait: true, command: "pipeline cache verify", log: io.stdout });
  try {
    let damaged = 0;
    const objects = store.listObjects();
    const intact = new Set<string>();
    for (const object of objects) {
      if (sha256(readFileSync(object.path)) === object.hash) {
        intact.add(object.hash);
        continue;
      }
      damaged++;
      io.stdout(`damaged object ${object.hash.slice(0, 12)} (its bytes no longer match their hash): deleted`);
      rmSync(object.path, { force: true });
    }
    const defs = new Map(project.registry.map((r) => [r.def.name, r.def]));
    const entries = store.listEntries();
    let unchecked = 0;
    for (const { path, stage, entry, damage } of entries) {
      const def = entry ? (defs.get(String(entry.parts.uses)) ?? commandDef(project, stage, entry)) : undefined;
      if (entry && !damage && !def) unchecked++;
      const problem = damage ?? (entry ? outputProblem(entry, def, intact, store.objectPath.bind(store)) : undefined);
      if (!problem) continue;
      damaged++;
      io.stdout(`entry ${stage} ${(entry?.key ?? path).slice(0, 12)} is damaged (${problem}): deleted`);
      rmSync(path, { force: true });
    }
    const note = unchecked > 0 ? `; ${unchecked} entries of stages no longer defined were checked for hashes only` : "";
    io.stdout(`checked ${objects.length} objects and ${entries.length} entries: ${damaged === 0 ? "all intact" : `${damaged} damaged (the next run recomputes them)`}${note}`);
    return damaged === 0 ? EXIT.ok : EXIT.stageFailed;
  } finally {
    release();
  }
}

/** A command stage is in no registry: the yaml's definition of it, for entries made by that same command. */
function commandDef(project: Project, stage: string, entry: CacheEntry): AnyStage | undefined {
  const resolved = project.pipeline.stages.get(stage);
  if (!resolved?.command || entry.parts.command === undefined) return undefined;
  return canonicalJson(entry.parts.command) === canonicalJson(commandKeyPart(resolved.command)) ? resolved.def : undefined;
}

/** What is wrong with the objects of an otherwise sound entry, or undefined. */
function outputProblem(entry: CacheEntry, def: AnyStage | undefined, intact: ReadonlySet<string>, objectPath: (hash: string) => string): string | undefined {
  const lost = Object.entries(entry.outputs).filter(([, ref]) => !intact.has(ref.hash)).map(([slot]) => slot);
  if (lost.length > 0) return `lost its output(s) ${lost.join(", ")}`;
  if (!def) return undefined;
  const slots = outputSlotsMismatch(entry.outputs, def);
  if (slots) return slots;
  for (const [slot, spec] of Object.entries(def.outputs)) {
    const ref = entry.outputs[slot]!;
    let value: unknown;
    try {
      value = decodeArtifact(spec.kind, new Uint8Array(readFileSync(objectPath(ref.hash))));
    } catch (error) {
      return `output ${slot} does not decode as a ${spec.kind} (${describeError(error)})`;
    }
    const mismatch = slotMismatch(spec, value, true);
    if (mismatch) return `output ${slot} is not ${def.name}'s ${slot}: ${mismatch}`;
  }
  return undefined;
}
