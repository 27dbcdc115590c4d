import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { lookUpEntry, sealOf, writeSealedEntry, type UnsealedEntry } from "../../src/cache/entries.ts";
import { LocalDriver } from "../../src/cache/local-driver.ts";
import { FileHasher } from "../../src/cache/file-hash.ts";
import { canonicalJson, sha256 } from "../../src/core/hash.ts";

/** Sealed entries over the local folder; `warnings` collects what lookups and reads report. */
function localStore(warnings: string[]) {
  const root = mkdtempSync(join(tmpdir(), "store-"));
  const driver = new LocalDriver(root, (m) => warnings.push(m));
  const getEntry = async (stage: string, key: string) => {
    const { entry, warning } = await lookUpEntry(driver, stage, key);
    if (warning) warnings.push(warning);
    return entry;
  };
  const entryPath = (stage: string, key: string) => join(root, "entries", stage, `${key}.json`);
  return { driver, getEntry, entryPath, putEntry: (fields: UnsealedEntry) => writeSealedEntry(driver, fields) };
}

describe("sealed entries over the local folder", () => {
  let store: ReturnType<typeof localStore>;
  let warnings: string[];

  beforeEach(() => {
    warnings = [];
    store = localStore(warnings);
  });

  const parts = { k: 8 };
  const KEY = sha256(canonicalJson(parts));
  const entryFor = (hash: string, size: number): UnsealedEntry => ({
    stage: "cluster",
    key: KEY,
    parts,
    ms: 5,
    created: "now",
    outputs: { labels: { hash, size, kind: "table" } },
  });

  it("misses on a key it has never seen", async () => {
    expect(await store.getEntry("cluster", KEY)).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it("returns the bytes it was given, addressed by their hash", async () => {
    const bytes = new TextEncoder().encode("[1,2,3]");
    const hash = await store.driver.writeObject(bytes);
    expect(hash).toBe(sha256(bytes));
    expect(await store.driver.readObject(hash)).toEqual(bytes);
    await store.putEntry(entryFor(hash, bytes.length));
    expect((await store.getEntry("cluster", KEY))?.outputs.labels?.hash).toBe(hash);
  });

  it("treats a flipped byte as a miss, deletes the object and says so", async () => {
    const hash = await store.driver.writeObject(new Uint8Array([1, 2, 3, 4]));
    writeFileSync(store.driver.objectPath(hash), new Uint8Array([1, 2, 3, 5]));
    expect(await store.driver.readObject(hash)).toBeUndefined();
    expect(warnings.join()).toMatch(/corrupted/);
    expect(() => statSync(store.driver.objectPath(hash))).toThrow();
  });

  it("treats an entry whose object was truncated as a miss, and deletes both", async () => {
    const bytes = new Uint8Array(1000).fill(7);
    const hash = await store.driver.writeObject(bytes);
    await store.putEntry(entryFor(hash, bytes.length));
    truncateSync(store.driver.objectPath(hash), 10);
    expect(await store.getEntry("cluster", KEY)).toBeUndefined();
    expect(warnings.join()).toMatch(/has 10 bytes instead of 1000/);
    expect(await store.driver.readEntry("cluster", KEY)).toBeUndefined();
    expect(await store.driver.objectSize(hash)).toBeUndefined();
  });

  it("treats a damaged entry file as a miss", async () => {
    const hash = await store.driver.writeObject(new Uint8Array([9]));
    await store.putEntry(entryFor(hash, 1));
    const path = store.entryPath("cluster", KEY);
    writeFileSync(path, readFileSync(path, "utf8").slice(0, 20));
    expect(await store.getEntry("cluster", KEY)).toBeUndefined();
    expect(warnings.join()).toMatch(/damaged/);
  });
});

describe("sealed entries that were tampered with", () => {
  let store: ReturnType<typeof localStore>;
  let warnings: string[];
  const parts = { k: 8 };
  const KEY = sha256(canonicalJson(parts));

  beforeEach(() => {
    warnings = [];
    store = localStore(warnings);
  });

  /** Rewrites the entry file as a hand edit would, keeping it valid JSON of the right shape. */
  const edit = (change: (entry: Record<string, any>) => void) => {
    const path = store.entryPath("cluster", KEY);
    const entry = JSON.parse(readFileSync(path, "utf8"));
    change(entry);
    writeFileSync(path, JSON.stringify(entry));
  };

  const stored = async () => {
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4, 5, 6]);
    const hashA = await store.driver.writeObject(a);
    const hashB = await store.driver.writeObject(b);
    await store.putEntry({
      stage: "cluster",
      key: KEY,
      parts,
      ms: 1,
      created: "now",
      outputs: { labels: { hash: hashA, size: 3, kind: "table" } },
    });
    return { hashA, hashB };
  };

  it("serves an untouched entry", async () => {
    await stored();
    expect(await store.getEntry("cluster", KEY)).toBeDefined();
    expect(warnings).toEqual([]);
  });

  it("refuses an entry pointed at another intact object of the same size (its seal no longer matches)", async () => {
    const { hashB } = await stored();
    edit((e) => (e.outputs.labels.hash = hashB));
    expect(await store.getEntry("cluster", KEY)).toBeUndefined();
    expect(warnings.join()).toMatch(/does not match its seal/);
  });

  it("refuses an entry whose recorded key parts do not hash to its key", async () => {
    await stored();
    edit((e) => {
      e.parts = { k: 5 };
      e.seal = sealOf(e as never);
    });
    expect(await store.getEntry("cluster", KEY)).toBeUndefined();
    expect(warnings.join()).toMatch(/key parts do not hash to its key/);
  });

  it("refuses an entry filed under another stage's folder", async () => {
    await stored();
    const other = store.entryPath("evaluate", KEY);
    mkdirSync(dirname(other), { recursive: true });
    copyFileSync(store.entryPath("cluster", KEY), other);
    expect(await store.getEntry("evaluate", KEY)).toBeUndefined();
    expect(warnings.join()).toMatch(/it names cluster/);
  });

  it("repairs an object with a flipped byte when a stage stores the same bytes again", async () => {
    const bytes = new Uint8Array([7, 7, 7, 7]);
    const hash = await store.driver.writeObject(bytes);
    writeFileSync(store.driver.objectPath(hash), new Uint8Array([7, 7, 7, 8]));
    await store.driver.writeObject(bytes);
    expect(new Uint8Array(readFileSync(store.driver.objectPath(hash)))).toEqual(bytes);
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
