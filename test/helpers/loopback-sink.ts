/**
 * A real node:http dashboard stand-in on 127.0.0.1 (port 0) that records every request:
 * its body, idempotency key, arrival time, the answer it got, and how many requests were in
 * flight at once. Tests decide the answer per request with `respond`.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SinkRequest {
  /** 0-based order of arrival */
  readonly index: number;
  readonly body: unknown;
  readonly key: string | undefined;
  readonly contentType: string | undefined;
  /** performance.now() when the body had arrived */
  readonly at: number;
}

export interface SinkAnswer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** wait this long before answering (a slow dashboard) */
  readonly delayMs?: number;
  /** never answer (the client's timeout must fire) */
  readonly hang?: boolean;
}

export interface Sink {
  readonly url: string;
  readonly requests: SinkRequest[];
  /** bodies of the requests answered 2xx, in arrival order */
  readonly accepted: SinkRequest[];
  readonly maxInFlight: () => number;
  readonly inFlight: () => number;
  close(): Promise<void>;
}

export async function startSink(respond: (request: SinkRequest) => SinkAnswer = () => ({}), path = "/publish"): Promise<Sink> {
  const requests: SinkRequest[] = [];
  const accepted: SinkRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    void readBody(req).then((text) => {
      const request: SinkRequest = {
        index: requests.length,
        body: parseJson(text),
        key: header(req, "idempotency-key"),
        contentType: header(req, "content-type"),
        at: performance.now(),
      };
      requests.push(request);
      const answer = respond(request);
      if (answer.hang) return; // closeAllConnections() ends it at close()
      const status = answer.status ?? 200;
      setTimeout(() => {
        if (status >= 200 && status < 300) accepted.push(request);
        inFlight--;
        res.writeHead(status, { "content-type": "application/json", ...answer.headers });
        res.end('{"ok":true}');
      }, answer.delayMs ?? 0);
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    accepted,
    maxInFlight: () => maxInFlight,
    inFlight: () => inFlight,
    close: () => closeServer(server),
  };
}

/** A URL on 127.0.0.1 where nothing listens: a port that was just bound and released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await closeServer(server);
  return `http://127.0.0.1:${port}/publish`;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
