import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { packageRoot } from "../../src/core/paths.ts";

export const BIN = join(packageRoot(), "dist", "src", "cli", "bin.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** the last stdout line parsed, when the command ran with --json */
  json?: { ok: boolean; stages: { name: string; status: string; ms: number; key: string | null; reason: string }[] };
}

/**
 * A temp project from an object literal (path -> content). It lives inside the repository
 * (.test-tmp/, ignored by git) so plugin modules can import the project's node_modules.
 */
export function testProject(files: Record<string, string | Uint8Array>): string {
  const base = join(packageRoot(), ".test-tmp");
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, "project-"));
  created.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const created: string[] = [];

/** Deletes the projects this test file made (call it from afterAll). */
export function removeTestProjects(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Spawns the built CLI (`npm run build` first) in `dir`. */
export function startCli(dir: string, args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, "-C", dir, ...args], {
    env: { ...process.env, CI: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export function finish(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.on("close", (code) => {
      const last = stdout.trim().split("\n").at(-1) ?? "";
      let json: CliResult["json"];
      try {
        json = last.startsWith("{") ? JSON.parse(last) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, ...(json ? { json } : {}) });
    });
  });
}

export function runCli(dir: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return finish(startCli(dir, args, env));
}

/** Names of the stages with `status` in a --json summary, in pipeline order. */
export function stagesWith(result: CliResult, status: string): string[] {
  return (result.json?.stages ?? []).filter((s) => s.status === status).map((s) => s.name);
}
