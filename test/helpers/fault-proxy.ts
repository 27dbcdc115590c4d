/**
 * A streaming HTTP pass-through on 127.0.0.1 in front of a real server (the test nginx) that
 * tests switch at runtime into a failure mode, to see how a remote-cache client copes:
 *
 *   pass          forward the request and stream the answer back untouched
 *   503           answer 503 without asking upstream
 *   stall         accept the request and never answer (the client's timeout must fire)
 *   reset         reset the TCP connection (RST) as soon as the request head arrives
 *   corrupt-body  forward, then flip one byte of a GET response body (same length, same headers)
 *
 * A mode can be limited to paths matching a RegExp and/or to the next N matching requests;
 * once those are used up the proxy passes again.
 */
import { request as httpRequest, createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Transform, type TransformCallback } from "node:stream";

export type FaultMode = "pass" | "503" | "stall" | "reset" | "corrupt-body";

export interface FaultScope {
  /** only requests whose path (query included) matches; others pass */
  readonly path?: RegExp;
  /** only the next N matching requests; then the proxy passes again */
  readonly times?: number;
}

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** what the proxy did; for corrupt-body, `corruptedAt` says which byte was flipped */
  readonly action: FaultMode;
  /** byte offset flipped in the response body (corrupt-body on a non-empty body only) */
  corruptedAt?: number;
}

export interface FaultProxy {
  /** the target URL with the proxy's origin: a drop-in replacement for it */
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** switch behaviour; `mode("pass")` clears any scoped fault */
  mode(mode: FaultMode, scope?: FaultScope): void;
  close(): Promise<void>;
}

interface Rule {
  mode: FaultMode;
  path: RegExp | undefined;
  remaining: number; // Infinity when unlimited
}

/** Start a fault proxy in front of `targetUrl` (its path is kept in `url`; paths are forwarded as sent). */
export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  let rule: Rule = { mode: "pass", path: undefined, remaining: Infinity };

  const pickAction = (path: string): FaultMode => {
    if (rule.mode === "pass" || (rule.path && !rule.path.test(path)) || rule.remaining <= 0) return "pass";
    rule.remaining--;
    return rule.mode;
  };

  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    const entry: ProxiedRequest = { method: req.method ?? "GET", path, action: pickAction(path) };
    requests.push(entry);
    switch (entry.action) {
      case "503":
        req.resume(); // drain the body so the client sees the answer, not a write error
        res.writeHead(503, { "content-type": "text/plain", connection: "close" }).end("fault proxy: 503\n");
        return;
      case "stall":
        return; // close() destroys the socket
      case "reset":
        req.socket.resetAndDestroy();
        return;
      default:
        forward(req, res, target, entry);
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const basePath = target.pathname.replace(/\/+$/, "");

  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    requests,
    mode(mode, scope = {}) {
      rule = { mode, path: scope.path, remaining: scope.times ?? Infinity };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Stream one request to the target and its answer back; either side failing tears down the other. */
function forward(req: IncomingMessage, res: ServerResponse, target: URL, entry: ProxiedRequest): void {
  const upstream = httpRequest({
    host: target.hostname,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: { ...req.headers, host: target.host },
  });
  upstream.on("response", (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    const corrupt = entry.action === "corrupt-body" && req.method === "GET";
    const body = corrupt ? answer.pipe(flipOneByte(Number(answer.headers["content-length"] ?? 0), entry)) : answer;
    body.pipe(res);
    answer.once("error", () => res.destroy());
  });
  upstream.once("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
  // a client that goes away mid-request must look the same to the target: an abort, not an end
  req.once("close", () => {
    if (!req.complete) upstream.destroy();
  });
  res.once("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** XOR one byte with 0xff: the middle one when the length is known, else the first. */
function flipOneByte(length: number, entry: ProxiedRequest): Transform {
  const at = length > 0 ? Math.floor(length / 2) : 0;
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      if (entry.corruptedAt === undefined && at < seen + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[at - seen] = (copy[at - seen] ?? 0) ^ 0xff;
        entry.corruptedAt = at;
        chunk = copy;
      }
      seen += chunk.length;
      done(null, chunk);
    },
  });
}
