import { mkdtempSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { CacheStore, type CacheEntry } from "../../src/cache/store.ts";
import { FileHasher } from "../../src/cache/file-hash.ts";
import { sha256 } from "../../src/core/hash.ts";

describe("cache store contract: filesystem", () => {
  let store: CacheStore;
  let warnings: string[];

  beforeEach(() => {
    warnings = [];
    store = new CacheStore(mkdtempSync(join(tmpdir(), "store-")), (m) => warnings.push(m));
  });

  const entryFor = (hash: string, size: number): CacheEntry => ({
    format: 1, stage: "cluster", key: "f".repeat(64), parts: { k: 8 }, ms: 5, created: "now",
    outputs: { labels: { hash, size, kind: "table" } },
  });

  it("misses on a key it has never seen", () => {
    expect(store.getEntry("cluster", "f".repeat(64))).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it("returns the bytes it was given, addressed by their hash", () => {
    const bytes = new TextEncoder().encode("[1,2,3]");
    const hash = store.putObject(bytes);
    expect(hash).toBe(sha256(bytes));
    expect(store.getObject(hash)).toEqual(bytes);
    store.putEntry(entryFor(hash, bytes.length));
    expect(store.getEntry("cluster", "f".repeat(64))?.outputs.labels?.hash).toBe(hash);
  });

  it("treats a flipped byte as a miss, deletes the object and says so", () => {
    const hash = store.putObject(new Uint8Array([1, 2, 3, 4]));
    writeFileSync(store.objectPath(hash), new Uint8Array([1, 2, 3, 5]));
    expect(store.getObject(hash)).toBeUndefined();
    expect(warnings.join()).toMatch(/corrupted/);
    expect(() => statSync(store.objectPath(hash))).toThrow();
  });

  it("treats an entry whose object was truncated as a miss", () => {
    const bytes = new Uint8Array(1000).fill(7);
    const hash = store.putObject(bytes);
    store.putEntry(entryFor(hash, bytes.length));
    truncateSync(store.objectPath(hash), 10);
    expect(store.getEntry("cluster", "f".repeat(64))).toBeUndefined();
    expect(warnings.join()).toMatch(/has 10 bytes instead of 1000/);
  });

  it("treats a damaged entry file as a miss", () => {
    const hash = store.putObject(new Uint8Array([9]));
    store.putEntry(entryFor(hash, 1));
    const path = store.entryPath("cluster", "f".repeat(64));
    writeFileSync(path, readFileSync(path, "utf8").slice(0, 20));
    expect(store.getEntry("cluster", "f".repeat(64))).toBeUndefined();
    expect(warnings.join()).toMatch(/damaged/);
  });
});

describe("stat cache", () => {
  it("does not re-read an unchanged file, and re-hashes a touched one to the same hash", () => {
    const dir = mkdtempSync(join(tmpdir(), "hasher-"));
    const file = join(dir, "input.bin");
    writeFileSync(file, new Uint8Array(4096).fill(3));
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    const first = new FileHasher(join(dir, "cache"), dir);
    const hash = first.hash(file);
    first.save();
    const second = new FileHasher(join(dir, "cache"), dir);
    expect(second.hash(file)).toBe(hash);
    expect(second.bytesHashed).toBe(0);
    utimesSync(file, new Date(), new Date());
    expect(second.hash(file)).toBe(hash);
    expect(second.bytesHashed).toBe(4096);
  });
});
