/**
 * Reading an input file so that what was read is what the cache key names. The engine hashes
 * input files before a stage starts (the key); a file swapped or rewritten after that must not
 * be cached under the old hash, so readers hash the bytes they actually read and compare, as
 * Bazel re-checks input digests after an action.
 */
import type { FileRef } from "../core/artifact.ts";
import { InputError, describeError } from "../core/errors.ts";
import { readHashing } from "../cache/read-hashing.ts";
import { hashFile } from "../cache/file-hash.ts";

/** Bytes per read while hashing: large enough to keep the pool busy, small beside the file. */
const CHUNK = 8 << 20;

/** Inputs whose bytes were proven equal to their key's hash while this worker read them. */
const proven = new WeakSet<FileRef>();

export class InputChangedError extends InputError {
  constructor(file: FileRef, found: string) {
    const shas = `the run's key names sha ${file.hash!.slice(0, 12)}, the bytes read hash to ${found.slice(0, 12)}`;
    super(
      `${file.display}: input changed while it was read (${shas}); nothing was stored, run again`,
      "run again once nothing is writing the file; the stage will read it afresh",
      "E_INPUT_CHANGED",
    );
  }
}

/** The file's bytes, proven to hash to `file.hash` when it is set; InputError when it cannot be read. */
export async function readInputFile(file: FileRef): Promise<Uint8Array> {
  let read: Awaited<ReturnType<typeof readHashing>>;
  try {
    read = await readHashing(file.path, CHUNK);
  } catch (error) {
    throw missingFileError(file, error);
  }
  if (file.hash !== undefined) {
    if (read.digest !== file.hash) throw new InputChangedError(file, read.digest);
    proven.add(file);
  }
  return read.data;
}

/**
 * After a stage ran: an input it did not read through readInputFile (a plugin's own fs call,
 * or one it did not need) is hashed again, so a file changed during the stage is still caught.
 */
export function assertInputUnchanged(file: FileRef): void {
  if (file.hash === undefined || proven.has(file)) return;
  let now: string;
  try {
    now = hashFile(file.path);
  } catch (error) {
    throw missingFileError(file, error);
  }
  if (now !== file.hash) throw new InputChangedError(file, now);
}

/** The InputError for an input file that cannot be opened. */
export function missingFileError(file: FileRef, error: unknown): InputError {
  const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
  return new InputError(
    missing ? `${file.display}: file not found` : `${file.display}: cannot read it (${describeError(error)})`,
    "check the path in pipeline.yaml, or create the demo inputs with `pipeline demo-data`",
  );
}
