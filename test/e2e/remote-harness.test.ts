// The remote-cache test harness itself: a real nginx WebDAV server and a fault proxy in
// front of it. If these are wrong, every remote-cache test built on them proves nothing.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.ts";
import { startNginx, type Nginx } from "../helpers/nginx.ts";

const READ = "read-token-1";
const WRITE = "write-token-2";
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function send(url: string, method: "GET" | "HEAD" | "PUT", options: { body?: Buffer; token?: string } = {}) {
  const res = await request(url, { method, body: options.body, headers: options.token ? bearer(options.token) : {} });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

/** every regular file under `dir`, relative to it */
function filesUnder(dir: string, at = ""): string[] {
  return readdirSync(join(dir, at), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(dir, join(at, entry.name)) : [join(at, entry.name)],
  );
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("nginx remote cache (no auth)", () => {
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startNginx();
  });
  afterAll(() => nginx?.stop());

  it("round-trips a 5 MB object through PUT, GET and HEAD, and logs each method", async () => {
    const bytes = randomBytes(5 * 1024 * 1024);
    const url = `${nginx.url}/cas/${"a".repeat(64)}`;

    expect((await send(url, "PUT", { body: bytes })).status).toBe(201);
    const got = await send(url, "GET");
    expect(got.status).toBe(200);
    expect(got.body.equals(bytes)).toBe(true);
    const head = await send(url, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(bytes.length));
    expect(filesUnder(nginx.root)).toEqual([join("cas", "a".repeat(64))]);

    const log = nginx.accessLog().filter((line) => line.path === new URL(url).pathname);
    expect(log.map((line) => [line.method, line.status])).toEqual([
      ["PUT", 201],
      ["GET", 200],
      ["HEAD", 200],
    ]);
    expect(log[0]?.requestBytes).toBeGreaterThan(bytes.length);
    expect(log[1]?.bodyBytes).toBe(bytes.length);
  });

  it("answers 404 to a HEAD or GET of a missing object", async () => {
    expect((await send(`${nginx.url}/cas/${"0".repeat(64)}`, "HEAD")).status).toBe(404);
    expect((await send(`${nginx.url}/ac/${"1".repeat(64)}`, "GET")).status).toBe(404);
  });

  it("writes a PUT to a temp file and renames it into place only once the body is complete", async () => {
    const size = 8 * 1024 * 1024;
    const target = join(nginx.root, "cas", "b".repeat(64));
    const put = httpRequest(`${nginx.url}/cas/${"b".repeat(64)}`, { method: "PUT", headers: { "content-length": size } });
    const answered = new Promise<number>((resolve, reject) => {
      put.once("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      put.once("error", reject);
    });
    put.write(Buffer.alloc(size / 2, 1));

    const temp = await waitFor("a body temp file", () => readdirSync(nginx.bodyTempDir)[0]);
    const tempInode = statSync(join(nginx.bodyTempDir, temp)).ino;
    expect(existsSync(target)).toBe(false);

    put.end(Buffer.alloc(size / 2, 2));
    expect(await answered).toBe(201);
    expect(statSync(target).size).toBe(size);
    // same inode: a rename(2) of the temp file, not a copy; and the temp file is gone
    expect(statSync(target).ino).toBe(tempInode);
    expect(readdirSync(nginx.bodyTempDir)).toEqual([]);
  });

  it("leaves no partial file when the uploading process is killed mid-body", async () => {
    const hash = "c".repeat(64);
    const script = `
      const req = require("node:http").request(process.argv[1], { method: "PUT", headers: { "content-length": 64 * 1024 * 1024 } });
      req.on("error", () => {});
      req.write(Buffer.alloc(4 * 1024 * 1024, 7), () => console.log("sent"));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ["-e", script, `${nginx.url}/cas/${hash}`], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      await new Promise<void>((resolve) => child.stdout.on("data", (d: Buffer) => d.toString().includes("sent") && resolve()));
      await waitFor("nginx to spool the body", () => readdirSync(nginx.bodyTempDir).length > 0);
      expect(filesUnder(nginx.root).filter((f) => f.includes(hash))).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      await exited;
    }

    const line = await waitFor("nginx to log the aborted PUT", () => nginx.accessLog().find((l) => l.path.endsWith(hash)));
    expect(line.method).toBe("PUT");
    expect(line.status).toBe(400); // nginx: "client prematurely closed connection"
    await waitFor("the temp file to be removed", () => readdirSync(nginx.bodyTempDir).length === 0);
    expect(filesUnder(nginx.root).filter((f) => f.includes(hash))).toEqual([]);
    expect((await send(`${nginx.url}/cas/${hash}`, "HEAD")).status).toBe(404);
  });
});

describe("nginx remote cache (bearer tokens)", () => {
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startNginx({ auth: { readToken: READ, writeToken: WRITE } });
  });
  afterAll(() => nginx?.stop());

  it("lets the write token PUT and refuses the read token", async () => {
    const url = `${nginx.url}/ac/${"d".repeat(64)}`;
    const body = Buffer.from('{"outputs":{}}');
    expect((await send(url, "PUT", { body, token: READ })).status).toBe(403);
    expect((await send(url, "PUT", { body })).status).toBe(401);
    expect((await send(url, "PUT", { body, token: READ.toUpperCase() })).status).toBe(401);
    expect(filesUnder(nginx.root)).toEqual([]);

    expect((await send(url, "PUT", { body, token: WRITE })).status).toBe(201);
    expect((await send(url, "PUT", { body, token: WRITE })).status).toBe(204); // overwrite
    expect(filesUnder(nginx.root)).toEqual([join("ac", "d".repeat(64))]);
  });

  it("needs a token to read, and either token will do", async () => {
    const url = `${nginx.url}/ac/${"e".repeat(64)}`;
    expect((await send(url, "PUT", { body: Buffer.from("x"), token: WRITE })).status).toBe(201);
    expect((await send(url, "GET")).status).toBe(401);
    expect((await send(url, "HEAD", { token: "wrong" })).status).toBe(401);
    expect((await send(url, "GET", { token: READ })).body.toString()).toBe("x");
    expect((await send(url, "HEAD", { token: WRITE })).status).toBe(200);
    const methods = () =>
      nginx
        .accessLog()
        .filter((l) => l.path.endsWith("e".repeat(64)))
        .map((l) => `${l.method} ${l.status}`);
    // nginx logs a request after answering it: the last line may land a moment after the reply
    await expect.poll(methods, { timeout: 2000 }).toEqual(["PUT 201", "GET 401", "HEAD 401", "GET 200", "HEAD 200"]);
  });
});

describe("fault proxy", () => {
  let nginx: Nginx;
  let proxy: FaultProxy;
  const hash = "f".repeat(64);
  const bytes = randomBytes(256 * 1024);
  beforeAll(async () => {
    nginx = await startNginx();
    proxy = await startFaultProxy(nginx.url);
    expect((await send(`${proxy.url}/cas/${hash}`, "PUT", { body: bytes })).status).toBe(201);
  });
  afterEach(() => proxy.mode("pass"));
  afterAll(async () => {
    await proxy?.close();
    await nginx?.stop();
  });

  it("passes requests through untouched, streaming both ways", async () => {
    const got = await send(`${proxy.url}/cas/${hash}`, "GET");
    expect(got.status).toBe(200);
    expect(got.body.equals(bytes)).toBe(true);
    expect(proxy.url).toMatch(/\/cache$/);
    expect(proxy.requests.at(-1)).toMatchObject({ method: "GET", action: "pass" });
  });

  it("answers 503 without reaching nginx", async () => {
    proxy.mode("503");
    const before = nginx.accessLog().length;
    expect((await send(`${proxy.url}/cas/${hash}`, "GET")).status).toBe(503);
    expect((await send(`${proxy.url}/cas/${hash}`, "PUT", { body: bytes })).status).toBe(503);
    expect(nginx.accessLog().length).toBe(before);
  });

  it("stalls until the client's timeout fires", async () => {
    proxy.mode("stall");
    const started = Date.now();
    await expect(request(`${proxy.url}/cas/${hash}`, { headersTimeout: 300 })).rejects.toMatchObject({
      code: "UND_ERR_HEADERS_TIMEOUT",
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(proxy.requests.at(-1)?.action).toBe("stall");
  });

  it("resets the connection", async () => {
    proxy.mode("reset");
    await expect(request(`${proxy.url}/cas/${hash}`)).rejects.toMatchObject({ code: "ECONNRESET" });
  });

  it("corrupts one byte of a GET body, keeping its length", async () => {
    proxy.mode("corrupt-body");
    const got = await send(`${proxy.url}/cas/${hash}`, "GET");
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(bytes.length);
    const differing = [...got.body.keys()].filter((i) => got.body[i] !== bytes[i]);
    expect(differing).toEqual([bytes.length / 2]);
    expect(proxy.requests.at(-1)).toMatchObject({ action: "corrupt-body", corruptedAt: bytes.length / 2 });
  });

  it("limits a fault to matching paths and to the next N requests", async () => {
    proxy.mode("503", { path: /\/ac\//, times: 2 });
    const ac = `${proxy.url}/ac/${"9".repeat(64)}`;
    expect((await send(`${proxy.url}/cas/${hash}`, "HEAD")).status).toBe(200);
    expect((await send(ac, "GET")).status).toBe(503);
    expect((await send(ac, "GET")).status).toBe(503);
    expect((await send(ac, "GET")).status).toBe(404);
    expect(proxy.requests.slice(-4).map((r) => r.action)).toEqual(["pass", "503", "503", "pass"]);
  });
});
