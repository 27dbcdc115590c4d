import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { writeFileAtomic } from "./atomic.ts";

interface StatRecord {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  hash: string;
  /** when the hash was taken: a file changed within the same timestamp tick is re-hashed */
  hashedAt: number;
}

/**
 * Files modified this close to when they were hashed may have changed unseen within one
 * timestamp tick (git's "racy clean"); Linux ticks are at most 10 ms, so 100 ms is ample.
 */
const RACY_MS = 100;

/**
 * Content hashes of input files, remembered by (size, mtime, ctime, inode) in
 * cache/state/files.json so that an unchanged 150 MB input is not read on every run.
 * `touch` changes mtime, so the file is re-hashed, finds the same bytes, and nothing reruns.
 */
export class FileHasher {
  private readonly stateFile: string;
  private readonly projectDir: string;
  private records: Record<string, StatRecord>;
  private dirty = false;
  private readonly forgotten = new Set<string>();
  /** bytes actually read to hash files in this process (the warm-run benchmark checks it) */
  bytesHashed = 0;

  constructor(cacheRoot: string, projectDir: string) {
    this.stateFile = join(cacheRoot, "state", "files.json");
    this.projectDir = projectDir;
    this.records = loadRecords(this.stateFile);
  }

  hash(path: string): string {
    const st = statSync(path);
    const id = relative(this.projectDir, path);
    const known = this.records[id];
    if (
      known &&
      known.size === st.size &&
      known.mtimeMs === st.mtimeMs &&
      known.ctimeMs === st.ctimeMs &&
      known.ino === st.ino &&
      known.hashedAt - known.mtimeMs > RACY_MS
    ) {
      return known.hash;
    }
    const hash = hashFile(path);
    this.bytesHashed += st.size;
    this.records[id] = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, hash, hashedAt: Date.now() };
    this.dirty = true;
    return hash;
  }

  /** Drops what is remembered of `path`, so it is hashed afresh next time. */
  forget(path: string): void {
    const id = relative(this.projectDir, path);
    if (!(id in this.records)) return;
    delete this.records[id];
    this.forgotten.add(id);
    this.dirty = true;
  }

  save(): void {
    if (!this.dirty) return;
    const fresh = loadRecords(this.stateFile); // another run may have added records meanwhile
    for (const id of this.forgotten) delete fresh[id];
    writeFileAtomic(this.stateFile, Buffer.from(JSON.stringify({ ...fresh, ...this.records })));
    this.dirty = false;
  }
}

function loadRecords(file: string): Record<string, StatRecord> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, StatRecord>;
  } catch {
    return {}; // a damaged stat cache only costs a re-hash
  }
}

export function hashFile(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  const chunk = Buffer.allocUnsafe(1 << 20);
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      hash.update(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}
