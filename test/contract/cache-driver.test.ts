import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CacheDriver } from "../../src/cache/driver.ts";
import { LocalDriver } from "../../src/cache/local-driver.ts";
import { sha256 } from "../../src/core/hash.ts";
import { httpDriver, type HttpDriver } from "../../src/remote/http-driver.ts";
import { remoteSettings } from "../../src/remote/settings.ts";
import { startNginx, type Nginx } from "../helpers/nginx.ts";

/*
 * One contract, every driver: the local cache folder and the HTTP remote (a real nginx). Each
 * driver also says how to damage an object it holds, so "never wrong bytes" is tested on both,
 * and which optional capabilities (listing, deleting) it claims: those it has are exercised,
 * and a driver must not claim one it was not declared with.
 */
interface DriverCase {
  driver: CacheDriver;
  damage(hash: string): void;
}
interface Capabilities {
  listing: boolean;
  deleting: boolean;
}

let nginx: Nginx;
let http: HttpDriver;
beforeAll(async () => {
  nginx = await startNginx();
  http = httpDriver(remoteSettings({ remote: { url: nginx.url, mode: "readwrite", trust: [], timeout_ms: 5000 } }, {})!);
});
afterAll(async () => {
  await http?.close();
  await nginx?.stop();
});

const cases: [string, Capabilities, () => DriverCase][] = [
  [
    "local",
    { listing: true, deleting: true },
    () => {
      const driver = new LocalDriver(mkdtempSync(join(tmpdir(), "driver-")));
      return { driver, damage: (hash) => flipByte(driver.objectPath(hash)) };
    },
  ],
  // Bazel's protocol has neither; nginx's stock WebDAV module answers no PROPFIND
  [
    "http (nginx)",
    { listing: false, deleting: false },
    () => ({ driver: http, damage: (hash) => flipByte(join(nginx.root, "cas", hash)) }),
  ],
];

function flipByte(path: string): void {
  const bytes = readFileSync(path);
  bytes[0] = bytes[0]! ^ 0xff;
  writeFileSync(path, bytes);
}

for (const [name, capabilities, make] of cases) {
  describe(`cache driver contract: ${name}`, () => {
    it("misses an object and an entry it has never seen", async () => {
      const { driver } = make();
      const absent = sha256(`absent ${name} ${Math.random()}`);
      expect(await driver.objectSize(absent)).toBeUndefined();
      expect(await driver.readObject(absent)).toBeUndefined();
      expect(await driver.readEntry("cluster", absent)).toBeUndefined();
    });

    it("returns an object's bytes and size, addressed by their hash", async () => {
      const { driver } = make();
      const bytes = new Uint8Array(300_000).map((_, i) => (i * 7 + name.length) % 251);
      const hash = await driver.writeObject(bytes);
      expect(hash).toBe(sha256(bytes));
      expect(await driver.objectSize(hash)).toBe(bytes.length);
      expect(Buffer.from((await driver.readObject(hash))!).equals(Buffer.from(bytes))).toBe(true);
    });

    it("stores bytes handed over in parts as the one object they join into, and reads into shared memory on request", async () => {
      const { driver } = make();
      const whole = new Uint8Array(2_500_000).map((_, i) => (i * 13 + name.length) % 253);
      const parts = [whole.subarray(0, 7), whole.subarray(7, 1_100_003), whole.subarray(1_100_003)];
      const hash = await driver.writeObject(parts);
      expect(hash).toBe(sha256(whole));
      expect(await driver.objectSize(hash)).toBe(whole.length);
      expect(await driver.writeObject(whole)).toBe(hash); // the same object: kept, not duplicated
      const shared = (await driver.readObject(hash, { shared: true }))!;
      expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Buffer.from(shared).equals(Buffer.from(whole))).toBe(true);
    });

    it("never hands out damaged bytes", async () => {
      const { driver, damage } = make();
      const hash = await driver.writeObject(new TextEncoder().encode(`damage me ${name} ${Math.random()}`));
      damage(hash);
      expect(await driver.readObject(hash)).toBeUndefined();
    });

    it("stores and returns an entry's bytes, and a rewrite replaces them", async () => {
      const { driver } = make();
      const key = sha256(`entry ${name} ${Math.random()}`);
      await driver.writeEntry("cluster", key, new TextEncoder().encode('{"a":1}'));
      expect(new TextDecoder().decode(await driver.readEntry("cluster", key))).toBe('{"a":1}');
      await driver.writeEntry("cluster", key, new TextEncoder().encode('{"a":2}'));
      expect(new TextDecoder().decode(await driver.readEntry("cluster", key))).toBe('{"a":2}');
    });

    it("claims exactly the optional capabilities it was declared with", () => {
      const { driver } = make();
      expect({ listing: driver.listing !== undefined, deleting: driver.deleting !== undefined }).toEqual(capabilities);
    });

    // a capability a driver lacks is not a skipped test: the test above holds it to that
    if (capabilities.listing)
      it("lists every entry and object it holds, with the objects' sizes", async () => {
        const { driver } = make();
        const listing = driver.listing!;
        expect(await listing.entries()).toEqual([]);
        expect(await listing.objects()).toEqual([]);
        const a = await driver.writeObject(new Uint8Array(1234).fill(1));
        const b = await driver.writeObject(new TextEncoder().encode("b"));
        const key = sha256("listed");
        await driver.writeEntry("cluster", key, new TextEncoder().encode("{}"));
        await driver.writeEntry("evaluate", key, new TextEncoder().encode("{}"));
        const byHash = (x: { hash: string }, y: { hash: string }) => x.hash.localeCompare(y.hash);
        expect((await listing.objects()).sort(byHash)).toEqual(
          [
            { hash: a, size: 1234 },
            { hash: b, size: 1 },
          ].sort(byHash),
        );
        const entries = (await listing.entries()).sort((x, y) => x.stage.localeCompare(y.stage));
        expect(entries).toEqual([
          { stage: "cluster", key },
          { stage: "evaluate", key },
        ]);
      });

    if (capabilities.deleting)
      it("deletes an entry and an object, and deleting what is not there is no error", async () => {
        const { driver } = make();
        const deleting = driver.deleting!;
        const hash = await driver.writeObject(new TextEncoder().encode(`delete me ${name}`));
        const key = sha256(`deleted ${name}`);
        await driver.writeEntry("cluster", key, new TextEncoder().encode("{}"));
        await deleting.deleteEntry("cluster", key);
        await deleting.deleteObject(hash);
        expect(await driver.readEntry("cluster", key)).toBeUndefined();
        expect(await driver.objectSize(hash)).toBeUndefined();
        expect(await driver.readObject(hash)).toBeUndefined();
        await deleting.deleteEntry("cluster", key);
        await deleting.deleteObject(hash);
        if (driver.listing) {
          expect(await driver.listing.entries()).toEqual([]);
          expect(await driver.listing.objects()).toEqual([]);
        }
      });
  });
}
