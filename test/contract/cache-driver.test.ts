import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CacheStore } from "../../src/cache/store.ts";
import { sha256 } from "../../src/core/hash.ts";
import type { CacheDriver } from "../../src/remote/driver.ts";
import { httpDriver, type HttpDriver } from "../../src/remote/http-driver.ts";
import { localDriver } from "../../src/remote/local-driver.ts";
import { remoteSettings } from "../../src/remote/settings.ts";
import { startNginx, type Nginx } from "../helpers/nginx.ts";

/*
 * One contract, every driver: the local cache folder and the HTTP remote (a real nginx). Each
 * driver also says how to damage an object it holds, so "never wrong bytes" is tested on both.
 */
interface DriverCase {
  driver: CacheDriver;
  damage(hash: string): void;
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

const cases: [string, () => DriverCase][] = [
  [
    "local",
    () => {
      const store = new CacheStore(mkdtempSync(join(tmpdir(), "driver-")));
      return { driver: localDriver(store), damage: (hash) => flipByte(store.objectPath(hash)) };
    },
  ],
  ["http (nginx)", () => ({ driver: http, damage: (hash) => flipByte(join(nginx.root, "cas", hash)) })],
];

function flipByte(path: string): void {
  const bytes = readFileSync(path);
  bytes[0] = bytes[0]! ^ 0xff;
  writeFileSync(path, bytes);
}

for (const [name, make] of cases) {
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
  });
}
