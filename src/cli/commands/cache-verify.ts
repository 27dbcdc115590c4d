import { decodeArtifact } from "../../cache/codec.ts";
import type { CacheDriver } from "../../cache/driver.ts";
import { parseEntry, type CacheEntry } from "../../cache/entries.ts";
import { LocalDriver } from "../../cache/local-driver.ts";
import { describeError, EXIT } from "../../core/errors.ts";
import { commandKeyPart } from "../../core/command.ts";
import { canonicalJson } from "../../core/hash.ts";
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
  // verify reports each damaged object itself, so its driver on the same folder does not warn
  const store = new LocalDriver(project.store.root);
  await store.ensure();
  const release = await lockProject(project.store.root, io, { wait: true, command: "pipeline cache verify", log: io.stdout });
  try {
    let damaged = 0;
    const objects = await store.listing.objects();
    const intact = new Set<string>();
    for (const object of objects) {
      if (await store.readObject(object.hash)) {
        intact.add(object.hash);
        continue;
      }
      damaged++;
      io.stdout(`damaged object ${object.hash.slice(0, 12)} (its bytes no longer match their hash): deleted`);
    }
    const defs = new Map(project.registry.map((r) => [r.def.name, r.def]));
    const entries = await store.listing.entries();
    let unchecked = 0;
    for (const { stage, key } of entries) {
      const bytes = await store.readEntry(stage, key);
      if (!bytes) continue; // removed since it was listed
      const read = parseEntry(bytes, stage, key);
      const entry = "entry" in read ? read.entry : undefined;
      const def = entry ? (defs.get(String(entry.parts.uses)) ?? commandDef(project, stage, entry)) : undefined;
      if (entry && !def) unchecked++;
      const problem =
        "damage" in read
          ? read.damage
          : "oldFormat" in read
            ? "written by an older version"
            : await outputProblem(read.entry, def, intact, store);
      if (!problem) continue;
      damaged++;
      io.stdout(`entry ${stage} ${key.slice(0, 12)} is damaged (${problem}): deleted`);
      await store.deleting.deleteEntry(stage, key);
    }
    const note = unchecked > 0 ? `; ${unchecked} entries of stages no longer defined were checked for hashes only` : "";
    const verdict = damaged === 0 ? "all intact" : `${damaged} damaged (the next run recomputes them)`;
    io.stdout(`checked ${objects.length} objects and ${entries.length} entries: ${verdict}${note}`);
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
async function outputProblem(
  entry: CacheEntry,
  def: AnyStage | undefined,
  intact: ReadonlySet<string>,
  store: CacheDriver,
): Promise<string | undefined> {
  const lost = Object.entries(entry.outputs)
    .filter(([, ref]) => !intact.has(ref.hash))
    .map(([slot]) => slot);
  if (lost.length > 0) return `lost its output(s) ${lost.join(", ")}`;
  if (!def) return undefined;
  const slots = outputSlotsMismatch(entry.outputs, def);
  if (slots) return slots;
  for (const [slot, spec] of Object.entries(def.outputs)) {
    const bytes = await store.readObject(entry.outputs[slot]!.hash);
    if (!bytes) return `lost its output(s) ${slot}`;
    let value: unknown;
    try {
      value = decodeArtifact(spec.kind, bytes);
    } catch (error) {
      return `output ${slot} does not decode as a ${spec.kind} (${describeError(error)})`;
    }
    const mismatch = slotMismatch(spec, value, true);
    if (mismatch) return `output ${slot} is not ${def.name}'s ${slot}: ${mismatch}`;
  }
  return undefined;
}
