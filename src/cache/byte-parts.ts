/**
 * An object's bytes as one buffer or as its parts in order. A matrix's cache encoding is an
 * Arrow header, the matrix's own float32 buffer and a footer: handing those parts to the store
 * instead of joining them saves a full copy of the matrix (920 MB at a million windows).
 */
import { createHash } from "node:crypto";

export type ObjectBytes = Uint8Array | readonly Uint8Array[];

export function partsOf(bytes: ObjectBytes): readonly Uint8Array[] {
  return bytes instanceof Uint8Array ? [bytes] : bytes;
}

export function byteLength(bytes: ObjectBytes): number {
  return partsOf(bytes).reduce((sum, part) => sum + part.byteLength, 0);
}

export function sha256Parts(bytes: ObjectBytes): string {
  const hash = createHash("sha256");
  for (const part of partsOf(bytes)) hash.update(part);
  return hash.digest("hex");
}

/** One buffer: the bytes themselves when they are one part, else a joined copy. */
export function joined(bytes: ObjectBytes): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  return bytes.length === 1 ? bytes[0]! : Buffer.concat(bytes as Uint8Array[]);
}
