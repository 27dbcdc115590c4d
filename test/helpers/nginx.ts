/**
 * A real nginx (Debian's, with its WebDAV module) serving a Bazel-style HTTP remote cache
 * (`<url>/cas/<sha256>`, `<url>/ac/<key>`) out of a temp folder, for the remote-cache tests.
 *
 * nginx runs as a non-daemon child with every path (config, pid, logs, temp files) inside its
 * own temp dir, so tests can run in parallel and leave nothing behind. If nginx is missing or
 * will not start, `startNginx` throws: these tests fail under CI, they never skip.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface NginxAuth {
  /** grants GET and HEAD */
  readonly readToken?: string;
  /** grants GET, HEAD, PUT and DELETE */
  readonly writeToken?: string;
}

export interface NginxOptions {
  /**
   * When set, every request needs `Authorization: Bearer <token>` with one of these tokens
   * (no or an unknown token: 401; the read token on PUT or DELETE: 403). A token left out
   * grants nothing. Tokens are compared case-sensitively.
   */
  readonly auth?: NginxAuth;
  /** URL path the cache is served under; default `/cache` */
  readonly prefix?: string;
}

export interface AccessLogLine {
  readonly method: string;
  /** the request path as sent, query included (e.g. `/cache/cas/ab…`) */
  readonly path: string;
  readonly status: number;
  /** response body bytes sent */
  readonly bodyBytes: number;
  /** bytes of the request nginx read, headers and body */
  readonly requestBytes: number;
}

export interface Nginx {
  /** base URL with the prefix, no trailing slash: `http://127.0.0.1:PORT/cache` */
  readonly url: string;
  /** the WebDAV folder on disk that `url` maps to (`<root>/cas/<hash>` is `<url>/cas/<hash>`) */
  readonly root: string;
  /** nginx's temp folder for request bodies; a PUT lives here until it is complete */
  readonly bodyTempDir: string;
  /** every request nginx has finished, in order (nginx writes a line as it finishes each one) */
  accessLog(): AccessLogLine[];
  stop(): Promise<void>;
}

const TOKEN = /^[A-Za-z0-9._~+/=-]+$/;
const BIND_ATTEMPTS = 4;

/** Start nginx on a free 127.0.0.1 port; see {@link NginxOptions}. */
export async function startNginx(options: NginxOptions = {}): Promise<Nginx> {
  const binary = findNginx();
  const prefix = normalizePrefix(options.prefix ?? "/cache");
  const dir = await mkdtemp(join(tmpdir(), "pipeline-nginx-"));
  const root = join(dir, "dav");
  const bodyTempDir = join(dir, "body");
  await Promise.all([root, bodyTempDir, join(dir, "logs")].map((d) => mkdir(d, { recursive: true })));

  let lastError = "";
  for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
    const port = await freePort();
    const confPath = join(dir, "nginx.conf");
    await rm(join(dir, "nginx.pid"), { force: true });
    await writeFile(confPath, nginxConf({ dir, root, bodyTempDir, port, prefix, auth: options.auth }));
    const child = spawn(binary, ["-p", dir, "-c", confPath, "-e", join(dir, "logs", "error.log"), "-g", "daemon off;"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const started = await waitUntilListening(child, port, join(dir, "nginx.pid"));
    if (started === "listening") {
      const accessLogPath = join(dir, "logs", "access.log");
      return {
        url: `http://127.0.0.1:${port}${prefix}`,
        root,
        bodyTempDir,
        accessLog: () => readAccessLog(accessLogPath),
        stop: () => stopNginx(child, dir),
      };
    }
    child.kill("SIGKILL");
    lastError = `${stderr}${readIfExists(join(dir, "logs", "error.log"))}`.trim();
    // another process took the port between our probe and nginx's bind: pick a new one
    if (!/Address already in use/.test(lastError)) break;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`nginx (${binary}) did not start:\n${lastError || "no output"}`);
}

interface ConfInput {
  dir: string;
  root: string;
  bodyTempDir: string;
  port: number;
  prefix: string;
  auth: NginxAuth | undefined;
}

function nginxConf({ dir, root, bodyTempDir, port, prefix, auth }: ConfInput): string {
  const temp = (name: string) => join(dir, name);
  return `
master_process off;
worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "logs", "error.log")} info;
events { worker_connections 256; }
http {
  log_format cache escape=json '{"method":"$request_method","path":"$request_uri","status":$status,'
                               '"bodyBytes":$body_bytes_sent,"requestBytes":$request_length}';
  access_log ${join(dir, "logs", "access.log")} cache;
  ${authMap(auth)}
  # every temp path inside our dir: the compiled-in ones under /var/lib/nginx need root
  client_body_temp_path ${bodyTempDir};
  proxy_temp_path ${temp("proxy")};
  fastcgi_temp_path ${temp("fastcgi")};
  uwsgi_temp_path ${temp("uwsgi")};
  scgi_temp_path ${temp("scgi")};
  default_type application/octet-stream;
  sendfile on;
  server {
    listen 127.0.0.1:${port};
    server_name localhost;
    location ${prefix}/ {
      ${auth ? "if ($cache_auth = 401) { return 401; }\n      if ($cache_auth = 403) { return 403; }" : ""}
      alias ${root}/;
      # NOTE: the dav module reads a PUT body into a temp file under client_body_temp_path and
      # renames it onto the target only once the whole body has arrived (ngx_ext_rename_file),
      # so a reader never sees a partial object; a client that dies mid-body leaves only that
      # temp file, which nginx deletes. client_body_temp_path is on the same filesystem as the
      # root, so the rename is a rename(2), not a copy. The harness self-test checks all this.
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      client_max_body_size 0;
    }
  }
}
`;
}

/**
 * One map from "METHOD Authorization" to a verdict. Regexes (`~`), not plain strings, because
 * nginx matches plain map strings case-insensitively and a token must match exactly.
 */
function authMap(auth: NginxAuth | undefined): string {
  if (!auth) return "";
  const lines: string[] = [];
  const add = (token: string | undefined, methods: string, verdict: string) => {
    if (token === undefined) return;
    if (!TOKEN.test(token)) throw new TypeError(`nginx auth token must match ${TOKEN}, got ${JSON.stringify(token)}`);
    lines.push(`    "~^(${methods}) Bearer ${token.replace(/[.+]/g, "\\$&")}$" ${verdict};`);
  };
  add(auth.writeToken, "GET|HEAD|PUT|DELETE", "ok");
  add(auth.readToken, "GET|HEAD", "ok");
  add(auth.readToken, "PUT|DELETE", "403");
  return `map "$request_method $http_authorization" $cache_auth {\n    default 401;\n${lines.join("\n")}\n  }`;
}

function findNginx(): string {
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/sbin"]) {
    if (dir && existsSync(join(dir, "nginx"))) return join(dir, "nginx");
  }
  throw new Error("nginx is not installed; install Debian's nginx (apt-get install nginx), as .ci/run does");
}

function normalizePrefix(prefix: string): string {
  const trimmed = `/${prefix.replace(/^\/+|\/+$/g, "")}`;
  if (!/^\/[A-Za-z0-9._~/-]+$/.test(trimmed)) throw new TypeError(`nginx prefix must be a plain URL path, got ${prefix}`);
  return trimmed;
}

/** A port that was free a moment ago: bind port 0, read the port, release it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Wait until nginx has written its pid file (it does so only after binding its sockets, so a
 * stranger that grabbed the port cannot pass for it) and accepts a connection, or has exited.
 */
async function waitUntilListening(child: ChildProcess, port: number, pidFile: string, timeoutMs = 10_000): Promise<"listening" | "exited"> {
  let exited = child.exitCode !== null;
  child.once("exit", () => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) return "exited";
    if (existsSync(pidFile) && (await canConnect(port))) return exited ? "exited" : "listening";
    await new Promise((r) => setTimeout(r, 25));
  }
  return "exited";
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function readAccessLog(path: string): AccessLogLine[] {
  return readIfExists(path)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as AccessLogLine);
}

function readIfExists(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

async function stopNginx(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM"); // nginx's fast shutdown
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
}
