import { mkdir, open, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomicAsync } from "./atomic.ts";
import { byteLength, partsOf, sha256Parts, type ObjectBytes } from "./byte-parts.ts";
import type { CacheDeleting, CacheDriver, CacheListing, EntryName, ObjectInfo, ReadOptions } from "./driver.ts";
import { readHashing } from "./read-hashing.ts";

/** The project's cache folder, beside pipeline.yaml. */
export const CACHE_DIR = "cache";

/** Bytes per read while hashing: 8 MiB keeps the pool busy without a second copy of the file. */
const HASH_CHUNK = 8 << 20;
/** Bytes compared per read when an object is already stored. */
const COMPARE_CHUNK = 1 << 20;

const HASH_NAME = /^[0-9a-f]{64}$/;

export type CacheWarning = (message: string) => void;

/**
 * The local cache folder behind the store contract, with listing and deleting:
 *   objects/ab/<sha256>          artifact bytes, addressed by their own hash (as DVC fans them out)
 *   entries/<stage>/<key>.json   an entry's bytes (sealed entries, entries.ts)
 *   tmp/                         staging for atomic writes, on the same filesystem
 * It is the working copy: stage workers (other threads or processes) open it on the same root
 * and the remote tier streams downloads into it, both by path through `objectPath` and `tmpDir`.
 * Writes are temp file + fsync + rename, so a kill -9 leaves at worst an orphan temp file.
 */
export class LocalDriver implements CacheDriver {
  readonly name = "local";
  readonly listing: CacheListing = { entries: () => this.listEntries(), objects: () => this.listObjects() };
  readonly deleting: CacheDeleting = {
    deleteEntry: (stage, key) => rm(this.entryPath(stage, key), { force: true }),
    deleteObject: (hash) => rm(this.objectPath(hash), { force: true }),
  };

  /** `warn` hears of damaged objects found while reading (they are deleted, and a miss) */
  constructor(
    readonly root: string,
    private readonly warn: CacheWarning = () => {},
  ) {}

  get tmpDir(): string {
    return join(this.root, "tmp");
  }

  objectPath(hash: string): string {
    return join(this.root, "objects", hash.slice(0, 2), hash);
  }

  private entryPath(stage: string, key: string): string {
    return join(this.root, "entries", stage, `${key}.json`);
  }

  async ensure(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  async objectSize(hash: string): Promise<number | undefined> {
    return stat(this.objectPath(hash)).then(
      (s) => s.size,
      () => undefined,
    );
  }

  /**
   * The object's bytes, with the hash computed while the file is read: each chunk is hashed on
   * this thread while the next is read on libuv's pool, so a 134 MB input costs ~0.09 s, not 0.15.
   * A damaged object is deleted (and warned about): a miss.
   */
  async readObject(hash: string, options: ReadOptions = {}): Promise<Uint8Array | undefined> {
    const path = this.objectPath(hash);
    let read: Awaited<ReturnType<typeof readHashing>>;
    try {
      read = await readHashing(path, HASH_CHUNK, options.shared);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    if (read.digest === hash) return read.data;
    this.warn(`cache object ${hash.slice(0, 12)} is corrupted (its bytes no longer match their hash); deleted, it will be recomputed`);
    await rm(path, { force: true });
    return undefined;
  }

  /**
   * Stores bytes under their sha256. An object already there is compared byte for byte and
   * rewritten when it differs (a flipped byte keeps the size), so a stage that reruns always
   * repairs the objects it produces.
   */
  async writeObject(bytes: ObjectBytes): Promise<string> {
    const hash = sha256Parts(bytes);
    const path = this.objectPath(hash);
    if (!(await holdsExactly(path, bytes))) await writeFileAtomicAsync(path, bytes, this.tmpDir);
    return hash;
  }

  async readEntry(stage: string, key: string): Promise<Uint8Array | undefined> {
    return readFile(this.entryPath(stage, key)).then(
      (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
      () => undefined,
    );
  }

  async writeEntry(stage: string, key: string, bytes: Uint8Array): Promise<void> {
    await writeFileAtomicAsync(this.entryPath(stage, key), bytes, this.tmpDir);
  }

  /**
   * Temp files of writes that never finished (a killed run) older than `graceMs`; younger ones
   * may belong to a run in progress and are never touched. Returns how many there were.
   */
  async removeStaleTemps(graceMs: number, dry: boolean): Promise<number> {
    const names = await readdir(this.tmpDir).catch(() => [] as string[]);
    let count = 0;
    for (const name of names) {
      const path = join(this.tmpDir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info || Date.now() - info.mtimeMs < graceMs) continue;
      count++;
      if (!dry) await rm(path, { force: true, recursive: true });
    }
    return count;
  }

  private async listEntries(): Promise<EntryName[]> {
    const dir = join(this.root, "entries");
    const stages = await readdir(dir).catch(() => [] as string[]);
    const perStage = await Promise.all(
      stages.map(async (stage) => {
        const files = await readdir(join(dir, stage)).catch(() => [] as string[]);
        return files.filter((f) => f.endsWith(".json")).map((f) => ({ stage, key: f.slice(0, -".json".length) }));
      }),
    );
    return perStage.flat();
  }

  /** Files named as a hash in their own fan-out folder (anything else there is not an object). */
  private async listObjects(): Promise<ObjectInfo[]> {
    const dir = join(this.root, "objects");
    const fans = await readdir(dir).catch(() => [] as string[]);
    const perFan = await Promise.all(
      fans.map(async (fan) => {
        const names = (await readdir(join(dir, fan)).catch(() => [] as string[])).filter((n) => HASH_NAME.test(n) && n.startsWith(fan));
        return Promise.all(names.map(async (hash) => ({ hash, size: (await stat(join(dir, fan, hash)).catch(() => undefined))?.size })));
      }),
    );
    return perFan.flat().filter((o): o is ObjectInfo => o.size !== undefined); // one removed meanwhile is not there
  }
}

/** Whether the file holds exactly `bytes`, compared a chunk at a time (never a second whole copy). */
async function holdsExactly(path: string, bytes: ObjectBytes): Promise<boolean> {
  const size = await stat(path).then(
    (s) => s.size,
    () => -1,
  );
  if (size !== byteLength(bytes)) return false;
  const file = await open(path, "r").catch(() => undefined);
  if (!file) return false;
  try {
    const chunk = Buffer.allocUnsafe(COMPARE_CHUNK);
    for (const part of partsOf(bytes)) {
      for (let at = 0; at < part.byteLength; ) {
        const want = Math.min(COMPARE_CHUNK, part.byteLength - at);
        const { bytesRead } = await file.read(chunk, 0, want, null);
        if (bytesRead !== want || !chunk.subarray(0, want).equals(part.subarray(at, at + want))) return false;
        at += want;
      }
    }
    return true;
  } finally {
    await file.close();
  }
}
