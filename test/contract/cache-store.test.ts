import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { CacheStore, sealOf, type UnsealedEntry } from "../../src/cache/store.ts";
import { FileHasher } from "../../src/cache/file-hash.ts";
import { canonicalJson, sha256 } from "../../src/core/hash.ts";

describe("cache store contract: filesystem", () => {
  let store: CacheStore;
  let warnings: string[];

  beforeEach(() => {
    warnings = [];
    store = new CacheStore(mkdtempSync(join(tmpdir(), "store-")), (m) => warnings.push(m));
  });

  const parts = { k: 8 };
  const KEY = sha256(canonicalJson(parts));
  const entryFor = (hash: string, size: number): UnsealedEntry => ({
    stage: "cluster", key: KEY, parts, ms: 5, created: "now",
    outputs: { labels: { hash, size, kind: "table" } },
  });

  it("misses on a key it has never seen", () => {
    expect(store.getEntry("cluster", KEY)).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it("returns the bytes it was given, addressed by their hash", () => {
    const bytes = new TextEncoder().encode("[1,2,3]");
    const hash = store.putObject(bytes);
    expect(hash).toBe(sha256(bytes));
    expect(store.getObject(hash)).toEqual(bytes);
    store.putEntry(entryFor(hash, bytes.length));
    expect(store.getEntry("cluster", KEY)?.outputs.labels?.hash).toBe(hash);
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
    expect(store.getEntry("cluster", KEY)).toBeUndefined();
    expect(warnings.join()).toMatch(/has 10 bytes instead of 1000/);
  });

  it("treats a damaged entry file as a miss", () => {
    const hash = store.putObject(new Uint8Array([9]));
    store.putEntry(entryFor(hash, 1));
    const path = store.entryPath("cluster", KEY);
    writeFileSync(path, readFileSync(path, "utf8").slice(0, 20));
    expect(store.getEntry("cluster", KEY)).toBeUndefined();
    expect(warnings.join()).toMatch(/damaged/);
  });
});

describe("cache store contract: entries that were tampered with", () => {
  let store: CacheStore;
  let warnings: string[];
  const parts = { k: 8 };
  const KEY = sha256(canonicalJson(parts));

  beforeEach(() => {
    warnings = [];
    store = new CacheStore(mkdtempSync(join(tmpdir(), "store-")), (m) => warnings.push(m));
  });

  /** Rewrites the entry file as a hand edit would, keeping it valid JSON of the right shape. */
  const edit = (change: (entry: Record<string, any>) => void) => {
    const path = store.entryPath("cluster", KEY);
    const entry = JSON.parse(readFileSync(path, "utf8"));
    change(entry);
    writeFileSync(path, JSON.stringify(entry));
  };

  const stored = () => {
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4, 5, 6]);
    const hashA = store.putObject(a);
    const hashB = store.putObject(b);
    store.putEntry({ stage: "cluster", key: KEY, parts, ms: 1, created: "now", outputs: { labels: { hash: hashA, size: 3, kind: "table" } } });
    return { hashA, hashB };
  };

  it("serves an untouched entry", () => {
    stored();
    expect(store.getEntry("cluster", KEY)).toBeDefined();
    expect(warnings).toEqual([]);
  });

  it("refuses an entry pointed at another intact object of the same size (its seal no longer matches)", () => {
    const { hashB } = stored();
    edit((e) => (e.outputs.labels.hash = hashB));
    expect(store.getEntry("cluster", KEY)).toBeUndefined();
    expect(warnings.join()).toMatch(/does not match its seal/);
  });

  it("refuses an entry whose recorded key parts do not hash to its key", () => {
    stored();
    edit((e) => {
      e.parts = { k: 5 };
      e.seal = sealOf(e as never);
    });
    expect(store.getEntry("cluster", KEY)).toBeUndefined();
    expect(warnings.join()).toMatch(/key parts do not hash to its key/);
  });

  it("refuses an entry filed under another stage's folder", () => {
    stored();
    const other = store.entryPath("evaluate", KEY);
    mkdirSync(dirname(other), { recursive: true });
    copyFileSync(store.entryPath("cluster", KEY), other);
    expect(store.getEntry("evaluate", KEY)).toBeUndefined();
    expect(warnings.join()).toMatch(/it names cluster/);
  });

  it("repairs an object with a flipped byte when a stage stores the same bytes again", () => {
    const bytes = new Uint8Array([7, 7, 7, 7]);
    const hash = store.putObject(bytes);
    writeFileSync(store.objectPath(hash), new Uint8Array([7, 7, 7, 8]));
    store.putObject(bytes);
    expect(new Uint8Array(readFileSync(store.objectPath(hash)))).toEqual(bytes);
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
