/**
 * Bazel's HTTP remote cache protocol over one keep-alive undici Pool: objects at
 * `<base>/cas/<sha256>`, entries at `<base>/ac/<key>`; GET, HEAD and PUT of whole bodies.
 * Any WebDAV server serves it (nginx with `dav_methods PUT`, bazel-remote, generic stores).
 * Every failure is a RemoteError of a small set of kinds the tier's health rules read.
 * It neither lists nor deletes: the protocol has no such requests (see cache/driver.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, renameSync, rmSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Pool, type Dispatcher } from "undici";
import { joined } from "../cache/byte-parts.ts";
import type { CacheDriver } from "../cache/driver.ts";
import type { RemoteSettings } from "./settings.ts";

/** `local`: this machine's side failed (a full disk, a vanished cache file), not the remote */
export type RemoteFailureKind = "unreachable" | "timeout" | "server" | "denied" | "damaged" | "local";

export class RemoteError extends Error {
  constructor(
    readonly kind: RemoteFailureKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "RemoteError";
  }
}

export interface HttpDriver extends CacheDriver {
  /** Bazel's protocol has no listing, and nginx's stock WebDAV module no PROPFIND */
  readonly listing?: undefined;
  /** Bazel's protocol has no deletion; a shared cache is trimmed by its server (bazel-remote --max_size) */
  readonly deleting?: undefined;
  /** streams the object into `target` (atomically, via `tmpDir`) while hashing; undefined when missing */
  downloadObject(hash: string, target: string, tmpDir: string, size: number): Promise<number | undefined>;
  /** streams a file up as the object `hash`, hashing it on the way: bytes that do not match abort the PUT */
  uploadObject(hash: string, file: string, size: number): Promise<void>;
  close(): Promise<void>;
  /** drops every connection and request in flight at once (Ctrl-C) */
  destroy(): Promise<void>;
}

/**
 * The slowest transfer a request is allowed, beyond its timeout: 1 MB/s. Undici's timeouts are
 * idle timers (a byte every few seconds keeps a request alive), so each request also gets a
 * whole-request deadline of timeout + size at this rate.
 */
const MIN_BYTES_PER_SECOND = 1_000_000;

export function httpDriver(settings: RemoteSettings, connections = 8): HttpDriver {
  const base = new URL(`${settings.base}/`);
  const pool = new Pool(base.origin, { connections, connect: { timeout: settings.timeoutMs } });
  const prefix = base.pathname.replace(/\/$/, "");
  const headers = (extra: Record<string, string> = {}) => ({
    ...(settings.authorization ? { authorization: settings.authorization } : {}),
    ...extra,
  });

  const send = async (options: Omit<Dispatcher.RequestOptions, "origin">, bytes = 0): Promise<Dispatcher.ResponseData> => {
    const deadline = settings.timeoutMs + Math.ceil((bytes / MIN_BYTES_PER_SECOND) * 1000);
    try {
      return await pool.request({
        ...options,
        headersTimeout: settings.timeoutMs,
        bodyTimeout: settings.timeoutMs,
        signal: AbortSignal.timeout(deadline),
      });
    } catch (error) {
      throw transportError(error, settings.timeoutMs);
    }
  };
  /** The answer's status, its body consumed; 404 is "missing", other non-2xx are errors. */
  const expectOk = async (response: Dispatcher.ResponseData, what: string): Promise<"ok" | "missing"> => {
    if (response.statusCode >= 200 && response.statusCode < 300) return "ok";
    await response.body.dump();
    if (response.statusCode === 404) return "missing";
    throw statusError(response.statusCode, what);
  };

  const getBytes = async (path: string, what: string): Promise<Uint8Array | undefined> => {
    const response = await send({ path, method: "GET", headers: headers() });
    if ((await expectOk(response, what)) === "missing") return undefined;
    try {
      return new Uint8Array(await response.body.arrayBuffer());
    } catch (error) {
      throw transportError(error, settings.timeoutMs);
    }
  };
  const putBody = async (path: string, body: Uint8Array | NodeJS.ReadableStream, size: number, what: string): Promise<void> => {
    const response = await send(
      {
        path,
        method: "PUT",
        headers: headers({ "content-length": String(size), "content-type": "application/octet-stream" }),
        body: body as never,
      },
      size,
    );
    if ((await expectOk(response, what)) === "missing") throw statusError(404, what);
    await response.body.dump();
  };
  const casPath = (hash: string) => `${prefix}/cas/${hash}`;
  const acPath = (key: string) => `${prefix}/ac/${key}`;

  return {
    name: settings.display,
    async objectSize(hash) {
      const response = await send({ path: casPath(hash), method: "HEAD", headers: headers() });
      if ((await expectOk(response, `object ${hash.slice(0, 12)}`)) === "missing") return undefined;
      await response.body.dump();
      const length = Number(response.headers["content-length"]);
      return Number.isFinite(length) ? length : 0;
    },
    async readObject(hash, options = {}) {
      const bytes = await getBytes(casPath(hash), `object ${hash.slice(0, 12)}`);
      if (!bytes) return undefined;
      if (createHash("sha256").update(bytes).digest("hex") !== hash) return undefined; // never wrong bytes
      if (!options.shared) return bytes;
      const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
      shared.set(bytes);
      return shared;
    },
    async writeObject(parts) {
      const bytes = joined(parts); // the remote is fed from local files, so parts are rare here
      const hash = createHash("sha256").update(bytes).digest("hex");
      await putBody(casPath(hash), bytes, bytes.length, `object ${hash.slice(0, 12)}`);
      return hash;
    },
    readEntry: (_stage, key) => getBytes(acPath(key), `entry ${key.slice(0, 12)}`),
    writeEntry: (_stage, key, bytes) => putBody(acPath(key), bytes, bytes.length, `entry ${key.slice(0, 12)}`),
    async downloadObject(hash, target, tmpDir, size) {
      const response = await send({ path: casPath(hash), method: "GET", headers: headers() }, size);
      if ((await expectOk(response, `object ${hash.slice(0, 12)}`)) === "missing") return undefined;
      try {
        mkdirSync(tmpDir, { recursive: true });
      } catch (error) {
        await response.body.dump();
        throw localError(error);
      }
      const temp = join(tmpDir, `.download.${hash.slice(0, 16)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
      const digest = createHash("sha256");
      let bytes = 0;
      try {
        await pipeline(
          response.body,
          async function* (chunks: AsyncIterable<Buffer>) {
            for await (const chunk of chunks) {
              digest.update(chunk);
              bytes += chunk.length;
              yield chunk;
            }
          },
          createWriteStream(temp),
        );
        if (digest.digest("hex") !== hash) throw damaged(hash);
      } catch (error) {
        throw error instanceof RemoteError ? error : isLocal(error) ? localError(error) : transportError(error, settings.timeoutMs);
      }
      try {
        mkdirSync(dirname(target), { recursive: true });
        renameSync(temp, target);
        return bytes;
      } catch (error) {
        throw localError(error);
      } finally {
        rmSync(temp, { force: true });
      }
    },
    async uploadObject(hash, file, size) {
      const digest = createHash("sha256");
      let mismatch = false;
      const verified = createReadStream(file).pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            digest.update(chunk);
            done(null, chunk);
          },
          flush(done) {
            // the last bytes are held back until the hash is known: a wrong file never completes its PUT
            mismatch = digest.digest("hex") !== hash;
            done(mismatch ? new Error("the local object does not match its hash") : null);
          },
        }),
      );
      try {
        await putBody(casPath(hash), verified, size, `object ${hash.slice(0, 12)}`);
      } catch (error) {
        if (mismatch)
          throw new RemoteError(
            "local",
            `the local object ${hash.slice(0, 12)} does not match its hash; not uploaded (run \`pipeline cache verify\`)`,
          );
        throw error;
      }
    },
    close: () => pool.close(),
    destroy: () => pool.destroy(),
  };
}

function isLocal(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  return ["ENOSPC", "EDQUOT", "EACCES", "EPERM", "ENOENT", "EROFS", "EISDIR"].includes(code);
}

function localError(error: unknown): RemoteError {
  return new RemoteError("local", `on this machine: ${error instanceof Error ? error.message : String(error)}`);
}

function damaged(hash: string): RemoteError {
  return new RemoteError("damaged", `the remote's object ${hash.slice(0, 12)} does not match its hash`);
}

function statusError(status: number, what: string): RemoteError {
  if (status === 401 || status === 403) return new RemoteError("denied", `${what}: HTTP ${status} (not allowed)`, status);
  return new RemoteError("server", `${what}: HTTP ${status}`, status);
}

function transportError(error: unknown, timeoutMs: number): RemoteError {
  if (error instanceof RemoteError) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  if (/TIMEOUT/.test(code) || (error instanceof Error && error.name === "TimeoutError"))
    return new RemoteError("timeout", `no answer within ${timeoutMs} ms`);
  if (code === "ECONNREFUSED") return new RemoteError("unreachable", "connection refused");
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new RemoteError("unreachable", "host not found");
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return new RemoteError("unreachable", "connection closed by the server");
  return new RemoteError("unreachable", error instanceof Error ? error.message : String(error));
}
