import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { acquireLock, LOCK_LEFTOVER, removeLockLeftovers } from "../../../src/cache/lock.ts";
import { sha256 } from "../../../src/core/hash.ts";

const DEAD_PID = 2 ** 22 + 4242; // above Linux's pid_max: never alive

function staleLock(): { dir: string; lock: string; claim: (n: number) => string } {
  const dir = mkdtempSync(join(tmpdir(), "lock-"));
  const lock = join(dir, "lock");
  writeFileSync(lock, JSON.stringify({ pid: DEAD_PID, host: hostname(), since: "2026-01-01T00:00:00Z", command: "pipeline run" }));
  // a claim is named after the stale lock's inode and bytes (lock.ts, reclaim)
  const id = sha256(Buffer.concat([Buffer.from(`${statSync(lock).ino}:`), readFileSync(lock)])).slice(0, 16);
  return { dir, lock, claim: (n) => `${lock}.reclaim.${id}.${n}` };
}

const claimBy = (pid: number) => JSON.stringify({ pid, host: hostname(), since: new Date().toISOString(), command: "pipeline run" });

describe("project lock reclaim", () => {
  it("takes a stale lock past a claim its killed reclaimer left, and leaves no claim behind", async () => {
    const { dir, lock, claim } = staleLock();
    writeFileSync(claim(0), claimBy(DEAD_PID));
    const release = await acquireLock(lock, { wait: false, command: "test" });
    expect(JSON.parse(readFileSync(lock, "utf8")).pid).toBe(process.pid);
    expect(readdirSync(dir)).toEqual(["lock"]);
    release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("leaves a stale lock to the live process that claimed it: --no-wait names that process, waiting takes it after", async () => {
    const { lock, claim } = staleLock();
    writeFileSync(claim(0), claimBy(process.pid)); // a live claimer (this very process stands in for it)
    const refused = acquireLock(lock, { wait: false, command: "test" });
    await expect(refused).rejects.toMatchObject({ code: "E_LOCKED", message: expect.stringContaining(`pid ${process.pid}`) });
    expect(JSON.parse(readFileSync(lock, "utf8")).pid).toBe(DEAD_PID); // untouched while claimed

    let told = 0;
    const waiting = acquireLock(lock, { wait: true, command: "test", onWait: () => told++ });
    await new Promise((r) => setTimeout(r, 100));
    expect(JSON.parse(readFileSync(lock, "utf8")).pid).toBe(DEAD_PID);
    rmSync(claim(0)); // the claimer went away without finishing
    const release = await waiting;
    expect(told).toBe(1);
    expect(JSON.parse(readFileSync(lock, "utf8")).pid).toBe(process.pid);
    release();
  });

  it("gc's sweep removes old leftovers only, and never the lock itself", () => {
    const dir = mkdtempSync(join(tmpdir(), "lock-"));
    const claims = ["lock.reclaim.0123456789abcdef.0", "lock.reclaim.0123456789abcdef.1.77.beef"];
    const leftovers = ["lock.123.deadbeef", "lock.stale.123.cafe", ...claims];
    const names = ["lock", ...leftovers, "lockers"];
    for (const name of names) writeFileSync(join(dir, name), "");
    expect(names.filter((n) => LOCK_LEFTOVER.test(n))).toEqual(names.slice(1, 5));
    expect(removeLockLeftovers(dir, 60_000, false)).toBe(0); // all fresh
    expect(removeLockLeftovers(dir, 0, true)).toBe(4);
    expect(removeLockLeftovers(dir, 0, false)).toBe(4);
    expect(readdirSync(dir).sort()).toEqual(["lock", "lockers"]);
  });
});
