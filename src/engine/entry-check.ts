import type { CacheDriver } from "../cache/driver.ts";
import type { CacheEntry, ObjectRef } from "../cache/entries.ts";
import { outputSlotsMismatch, slotMismatch } from "../core/slot-check.ts";
import type { AnyStage } from "../core/stage.ts";

/**
 * Why a sealed entry cannot hold the outputs of `def`, or undefined when it can: the same slot
 * names and kinds, and json objects (small, so read here) holding their declared fields.
 * Matrices and tables are checked where they are decoded (the stage worker, `cache verify`).
 */
export async function entryMismatch(entry: CacheEntry, def: AnyStage, store: CacheDriver): Promise<string | undefined> {
  return outputSlotsMismatch(entry.outputs, def) ?? (await jsonOutputsMismatch(entry.outputs, def, store));
}

/** Why the json objects of `outputs` in `store` are not `def`'s (a declared field missing), or undefined. */
export async function jsonOutputsMismatch(
  outputs: Readonly<Record<string, ObjectRef>>,
  def: AnyStage,
  store: CacheDriver,
): Promise<string | undefined> {
  for (const [slot, spec] of Object.entries(def.outputs)) {
    const ref = outputs[slot];
    if (spec.kind !== "json" || !spec.fields || !ref) continue;
    const bytes = await store.readObject(ref.hash);
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
