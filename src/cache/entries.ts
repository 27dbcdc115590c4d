import { z } from "zod";
import type { SlotKind } from "../core/artifact.ts";
import { canonicalJson, sha256 } from "../core/hash.ts";
import type { CacheDriver, DeletingDriver } from "./driver.ts";

/**
 * Sealed entries: stage key -> the hashes of the objects it produced, over any driver that can
 * delete (the local folder). An entry is only a hit when its key parts hash to its key, its seal
 * matches its content and every object it names exists with the recorded size; object bytes
 * are verified against their hash whenever they are read. The seal is a checksum, not a
 * signature: it catches damage and hand edits of an entry, not a forger with write access to
 * cache/ (signed entries are for shared caches, remote/tier.ts).
 */

/** Entries of format 1 had no seal: they are misses, rewritten when their stage runs. */
export const ENTRY_FORMAT = 2;

const hashSchema = z.string().regex(/^[0-9a-f]{64}$/);

export const entrySchema = z.object({
  format: z.literal(ENTRY_FORMAT),
  stage: z.string(),
  key: hashSchema,
  parts: z.record(z.string(), z.unknown()),
  outputs: z.record(
    z.string(),
    z.object({ hash: hashSchema, size: z.number().int().min(0), kind: z.enum(["matrix", "table", "json", "file"]) }),
  ),
  ms: z.number(),
  created: z.string(),
  /** the run that produced it, and the CI job, when one was named in the environment */
  run: z.string().optional(),
  ci_job: z.string().optional(),
  /** set when the entry came from the remote cache: the key that signed it */
  signer: z.string().optional(),
  /** sha256 of the canonical JSON of every other field */
  seal: hashSchema,
});
export type CacheEntry = z.output<typeof entrySchema>;
export type UnsealedEntry = Omit<CacheEntry, "format" | "seal">;

export interface ObjectRef {
  hash: string;
  size: number;
  kind: SlotKind;
}

export function sealOf(entry: Omit<CacheEntry, "seal">): string {
  return sha256(canonicalJson({ ...entry, seal: undefined }));
}

/** An entry's bytes read back: the entry, "old-format", or what makes it unusable for (stage, key). */
export type ParsedEntry = { entry: CacheEntry } | { oldFormat: true } | { damage: string };

export function parseEntry(bytes: Uint8Array, stage: string, key: string): ParsedEntry {
  let raw: { format?: unknown } | null;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")) as { format?: unknown } | null;
  } catch {
    return { damage: "it is not a readable entry" };
  }
  if (raw?.format === 1) return { oldFormat: true };
  const parsed = entrySchema.safeParse(raw);
  if (!parsed.success) return { damage: "it is not a readable entry" };
  const entry = parsed.data;
  if (entry.stage !== stage || entry.key !== key) return { damage: `it names ${entry.stage} ${entry.key.slice(0, 12)}` };
  if (sha256(canonicalJson(entry.parts)) !== key) return { damage: "its recorded key parts do not hash to its key" };
  if (sealOf(entry) !== entry.seal) return { damage: "its content does not match its seal" };
  return { entry };
}

/** What looking an entry up found; `warning` says what was damaged (and has been deleted). */
export type EntryLookup = { entry: CacheEntry; warning?: undefined } | { entry?: undefined; warning?: string };

/**
 * The entry for `key` when it and every object it names are intact. A damaged entry, or one
 * whose objects are missing or of the wrong size, is deleted and reported in `warning`: a miss.
 */
export async function lookUpEntry(driver: DeletingDriver, stage: string, key: string): Promise<EntryLookup> {
  const bytes = await driver.readEntry(stage, key);
  if (!bytes) return {};
  const read = parseEntry(bytes, stage, key);
  if ("oldFormat" in read) return {}; // rewritten when the stage runs
  if ("damage" in read) {
    await driver.deleting.deleteEntry(stage, key);
    return { warning: `cache entry for ${stage} (${key.slice(0, 12)}) is damaged (${read.damage}); deleted, the stage will rerun` };
  }
  const sizes = await Promise.all(Object.values(read.entry.outputs).map((ref) => driver.objectSize(ref.hash)));
  const slots = Object.entries(read.entry.outputs);
  for (const [i, [slot, ref]] of slots.entries()) {
    const size = sizes[i];
    if (size === ref.size) continue;
    if (size !== undefined) await driver.deleting.deleteObject(ref.hash);
    await driver.deleting.deleteEntry(stage, key);
    const what = size === undefined ? "is missing" : `has ${size} bytes instead of ${ref.size}`;
    return { warning: `cache object for ${stage}.${slot} ${what}; the stage will rerun` };
  }
  return { entry: read.entry };
}

/** Seals and stores an entry; returns it as stored. */
export async function writeSealedEntry(driver: CacheDriver, fields: UnsealedEntry): Promise<CacheEntry> {
  const unsealed = { format: ENTRY_FORMAT, ...fields } as const;
  const entry: CacheEntry = { ...unsealed, seal: sealOf(unsealed) };
  await driver.writeEntry(entry.stage, entry.key, Buffer.from(canonicalJson(entry)));
  return entry;
}
