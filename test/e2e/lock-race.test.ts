import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.ts";

/*
 * Several real node processes, started together, each try once (no waiting) to take a project
 * lock that a dead process left behind. Exactly one may win each round: a reclaim must never
 * remove a lock another process has just taken. Each round starts them behind a barrier (a
 * "go" file they poll for), and the winner holds the lock until every process has answered,
 * so a slow loser cannot arrive after a release and win a second time legitimately.
 */

const LOCK_MODULE = pathToFileURL(join(packageRoot(), "dist", "src", "cache", "lock.js")).href;
const CONTENDERS = 6;
const ROUNDS = 8;

/** What each contender runs: wait for the go file, try once, say "won" or "busy", hold until told. */
const CONTENDER = `
const { acquireLock } = await import(process.env.LOCK_MODULE);
const { existsSync, writeFileSync } = await import("node:fs");
const [lock, go, release, ready] = process.argv.slice(1);
writeFileSync(ready, "");
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 1));
try {
  const unlock = await acquireLock(lock, { wait: false, command: "contender" });
  console.log("won");
  while (!existsSync(release)) await new Promise((r) => setTimeout(r, 5));
  unlock();
} catch (error) {
  if (error?.code !== "E_LOCKED") throw error;
  console.log("busy");
}
`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Contender {
  child: ChildProcess;
  verdict: Promise<string>;
  exit: Promise<number | null>;
}

function startContender(dir: string, i: number): Contender {
  const args = [join(dir, "lock"), join(dir, "go"), join(dir, "release"), join(dir, `ready.${i}`)];
  const child = spawn(process.execPath, ["--input-type=module", "-e", CONTENDER, ...args], {
    env: { ...process.env, LOCK_MODULE },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const verdict = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes("\n")) resolve(stdout.trim());
    });
    void exit.then((code) => {
      if (!stdout.includes("\n")) reject(new Error(`contender ${i} exited ${code} without a verdict: ${stderr}`));
    });
  });
  return { child, verdict, exit };
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One round: a stale lock, every contender at once; the verdicts, and what is left in the folder. */
async function round(stale: Record<string, unknown>): Promise<{ verdicts: string[]; left: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "lock-race-"));
  dirs.push(dir);
  writeFileSync(join(dir, "lock"), JSON.stringify({ host: hostname(), since: "2026-01-01T00:00:00Z", command: "pipeline run", ...stale }));
  const contenders = Array.from({ length: CONTENDERS }, (_, i) => startContender(dir, i));
  try {
    await waitFor(() => contenders.every((_, i) => existsSync(join(dir, `ready.${i}`))), 60_000);
    writeFileSync(join(dir, "go"), "");
    const verdicts = await Promise.all(contenders.map((c) => c.verdict));
    writeFileSync(join(dir, "release"), "");
    const codes = await Promise.all(contenders.map((c) => c.exit));
    expect(codes).toEqual(contenders.map(() => 0));
    const left = readdirSync(dir).filter((name) => name.startsWith("lock"));
    return { verdicts, left };
  } finally {
    for (const c of contenders) c.child.kill("SIGKILL");
  }
}

describe("reclaiming a stale project lock is atomic", () => {
  it(`one of ${CONTENDERS} processes takes a lock left by a dead process, in each of ${ROUNDS} rounds`, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const { verdicts, left } = await round({ pid: 2 ** 22 + 12345 + i }); // above Linux's pid_max: never alive
      expect(
        verdicts.filter((v) => v === "won"),
        `round ${i}: ${verdicts.join(", ")}`,
      ).toHaveLength(1);
      expect(verdicts.filter((v) => v === "busy")).toHaveLength(CONTENDERS - 1);
      expect(left, "the winner released its lock, and no claim or temp file stayed behind").toEqual([]);
    }
  }, 180_000);

  it(`one of ${CONTENDERS} processes takes a lock naming a live pid whose start time differs, in each of ${ROUNDS} rounds`, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const { verdicts, left } = await round({ pid: process.pid, started: `not-this-boot:${i}` });
      expect(
        verdicts.filter((v) => v === "won"),
        `round ${i}: ${verdicts.join(", ")}`,
      ).toHaveLength(1);
      expect(left).toEqual([]);
    }
  }, 180_000);

  it("a lock held by a live process is not reclaimed by any of them", async () => {
    const { verdicts, left } = await round({ pid: process.pid });
    expect(verdicts).toEqual(Array.from({ length: CONTENDERS }, () => "busy"));
    expect(left).toEqual(["lock"]);
    expect(JSON.parse(readFileSync(join(dirs.at(-1)!, "lock"), "utf8")).pid).toBe(process.pid);
  }, 60_000);
});
