import { readFile, stat } from "node:fs/promises";
import { writeFileAtomic } from "../cache/atomic.ts";
import type { CacheStore } from "../cache/store.ts";
import type { CacheDriver } from "./driver.ts";

/**
 * The local cache folder behind the async store contract, so one contract suite runs over
 * every driver. The engine itself still reads and writes the local tier through CacheStore's
 * synchronous methods (its stage workers read objects by path); the remote tier is the
 * HTTP driver.
 */
export function localDriver(store: CacheStore): CacheDriver {
  return {
    name: "local",
    async objectSize(hash) {
      return stat(store.objectPath(hash)).then((s) => s.size, () => undefined);
    },
    readObject: (hash) => store.readObject(hash),
    async writeObject(bytes) {
      return store.putObject(bytes);
    },
    async readEntry(stage, key) {
      return readFile(store.entryPath(stage, key)).then((b) => new Uint8Array(b), () => undefined);
    },
    async writeEntry(stage, key, bytes) {
      writeFileAtomic(store.entryPath(stage, key), bytes, store.tmpDir);
    },
  };
}
