import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { byteLength, partsOf, type ObjectBytes } from "./byte-parts.ts";
import { asDiskError } from "./disk-errors.ts";

/**
 * Writes `bytes` to `target` so that a reader sees either the old file or the whole new one:
 * temp file in `tmpDir` (same filesystem), fsync, rename. A kill -9 at any point leaves at
 * worst an orphan temp file, which `pipeline gc` removes. A full disk is a NoSpaceError, and
 * its temp file is removed.
 */
export function writeFileAtomic(target: string, bytes: Uint8Array, tmpDir = dirname(target)): void {
  const temp = join(tmpDir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    mkdirSync(tmpDir, { recursive: true });
    mkdirSync(dirname(target), { recursive: true });
    const fd = openSync(temp, "w");
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw asDiskError(error, target, bytes.length);
  }
}

/** writeFileAtomic on libuv's pool, for callers on the main thread that should not block it; `bytes` may come in parts. */
export async function writeFileAtomicAsync(target: string, bytes: ObjectBytes, tmpDir = dirname(target)): Promise<void> {
  const temp = join(tmpDir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await mkdir(tmpDir, { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    const file = await open(temp, "w");
    try {
      for (const part of partsOf(bytes)) await file.writeFile(part); // each appends where the last ended
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw asDiskError(error, target, byteLength(bytes));
  }
}
