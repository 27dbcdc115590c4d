import type { CacheEntry, CacheStore, ObjectRef } from "../cache/store.ts";
import { outputSlotsMismatch, slotMismatch } from "../core/slot-check.ts";
import type { AnyStage } from "../core/stage.ts";

/**
 * Why a sealed entry cannot hold the outputs of `def`, or undefined when it can: the same slot
 * names and kinds, and json objects (small, so read here) holding their declared fields.
 * Matrices and tables are checked where they are decoded (the stage worker, `cache verify`).
 */
export function entryMismatch(entry: CacheEntry, def: AnyStage, store: CacheStore): string | undefined {
  return outputSlotsMismatch(entry.outputs, def) ?? jsonOutputsMismatch(entry.outputs, def, store);
}

/** Why the local json objects of `outputs` are not `def`'s (a declared field missing), or undefined. */
export function jsonOutputsMismatch(outputs: Readonly<Record<string, ObjectRef>>, def: AnyStage, store: CacheStore): string | undefined {
  for (const [slot, spec] of Object.entries(def.outputs)) {
    const ref = outputs[slot];
    if (spec.kind !== "json" || !spec.fields || !ref) continue;
    const bytes = store.getObject(ref.hash);
    if (!bytes) return `the object of output ${slot} is missing or damaged`;
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(bytes).toString("utf8"));
    } catch {
      return `output ${slot} is not JSON`;
    }
    const mismatch = slotMismatch(spec, value);
    if (mismatch) return `output ${slot} is not ${def.name}'s ${slot}: ${mismatch}`;
  }
  return undefined;
}
