/**
 * A real redis-server (Debian's) on a free 127.0.0.1 port, in a temp dir, with no persistence
 * (`--save '' --appendonly no`), for the BullMQ shard tests. If redis-server is missing or will
 * not start, `startRedis` throws: these tests fail (under CI or not), they never skip.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisServer {
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const binary = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find(existsSync);
  if (!binary) throw new Error("redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)");
  const dir = await mkdtemp(join(tmpdir(), "pipeline-redis-"));
  let lastError = "";
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort();
    const child = spawn(
      binary,
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    if (await listening(child, port)) {
      return { url: `redis://127.0.0.1:${port}`, port, stop: () => stop(child, dir) };
    }
    lastError = output.trim().split("\n").slice(-3).join("\n");
    child.kill("SIGKILL");
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`redis-server would not start: ${lastError}`);
}

async function listening(child: ChildProcess, port: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    if (await canConnect(port)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
  await rm(dir, { recursive: true, force: true });
}
