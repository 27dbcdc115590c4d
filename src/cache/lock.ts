import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PipelineError, EXIT } from "../core/errors.ts";
import { sha256 } from "../core/hash.ts";
import { asDiskError } from "./disk-errors.ts";

export interface Holder {
  pid: number;
  host: string;
  since: string;
  command: string;
  /**
   * What tells this process from a later one given the same pid (boot id and start time, from
   * /proc): a lock naming a live pid whose start differs is stale, as after a container
   * restart that hands the new run its predecessor's pid. Absent where /proc is not.
   */
  started?: string;
  /** unique to one taking of the lock, so a lock once removed is never mistaken for a later one */
  nonce?: string;
}

const LOCK_NAME_HINT = "cache/lock";

export class LockBusyError extends PipelineError {
  constructor(holder: Holder) {
    super(`another pipeline run holds this project (pid ${holder.pid} on ${holder.host}, since ${holder.since}: ${holder.command})`, {
      code: "E_LOCKED",
      exitCode: EXIT.locked,
      hint: `wait for it to finish, or run without --no-wait to queue behind it; if no such run exists, delete ${LOCK_NAME_HINT}`,
    });
  }
}

/**
 * One run at a time per project: a lock file naming its holder, created whole by linking a
 * finished temp file into place (link(2) fails when the name exists, so exactly one of several
 * processes creating it at once succeeds, and nobody ever sees it half-written). A lock whose
 * holder process is gone (kill -9) is reclaimed, atomically (see `reclaim`). Waiting is the
 * default, like a build tool queueing.
 */
export async function acquireLock(
  path: string,
  options: { wait: boolean; command: string; onWait?: (holder: Holder) => void; signal?: AbortSignal },
): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true });
  const me = newHolder(options.command);
  let told = false;
  for (;;) {
    if (tryCreate(path, me)) return () => releaseLock(path, me);
    const seen = readLockFile(path);
    if (!seen) continue; // released between our two looks
    let holder = parseHolder(seen.bytes);
    let reclaiming = false;
    // a lock we cannot read was not made by pipeline (ours are linked whole): treat it as stale
    if (!holder || isStale(holder)) {
      const claimer = reclaim(path, seen, me);
      if (!claimer) continue;
      holder = claimer; // another process is reclaiming it, to take it: it is the one to wait for
      reclaiming = true;
    }
    if (!options.wait) throw new LockBusyError(holder);
    if (!told) options.onWait?.(holder);
    told = true;
    if (options.signal?.aborted)
      throw new PipelineError("interrupted while waiting for the project lock", { code: "E_INTERRUPTED", exitCode: EXIT.interrupted });
    await sleep(reclaiming ? 10 : 200);
  }
}

function newHolder(command: string): Holder {
  const started = processStart(process.pid);
  return {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    command,
    ...(started ? { started } : {}),
    nonce: randomBytes(8).toString("hex"),
  };
}

/** Creates `path` holding `me`, whole, unless it exists. */
function tryCreate(path: string, me: Holder): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  try {
    const fd = openSync(temp, "wx");
    try {
      writeSync(fd, JSON.stringify(me));
    } finally {
      closeSync(fd);
    }
    linkSync(temp, path); // atomic: fails with EEXIST when a lock is there
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw asDiskError(error, path, 1024);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** A lock file as one look saw it: its bytes and inode, which together name that one lock. */
interface LockFile {
  bytes: Buffer;
  ino: number;
}

function readLockFile(path: string): LockFile | undefined {
  try {
    const fd = openSync(path, "r");
    try {
      return { ino: fstatSync(fd).ino, bytes: readFileSync(fd) };
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Removes the stale lock `seen`, and only that one. Deleting or renaming the lock's path would
 * act on whatever is there by then, perhaps a fresh lock another process has just taken; so
 * removal is instead the right of whoever creates a claim named after `seen` (link(2), so one
 * process at a time), and the claimer deletes the path only while it still holds `seen`:
 * - while a live process holds the claim, nobody else may delete the lock, and a lock only
 *   leaves its path by such a deletion (its own holder is dead), so `seen` is still there when
 *   the claimer's check passes and still there when it deletes it;
 * - once `seen` is gone it never returns (every lock holds a fresh nonce), so a claim made late,
 *   after the claims of an earlier reclaim were cleared, finds another lock and deletes nothing;
 * - a claimer killed midway leaves a claim naming a dead process: the next claimer takes the
 *   claim with the next number (`.reclaim.<id>.<n>`).
 * Returns the live claimer when another process holds the claim (it is about to take the lock),
 * else undefined: `seen` is gone. Claims are removed once `seen` is gone; `pipeline gc` removes
 * any a killed claimer left.
 */
function reclaim(path: string, seen: LockFile, me: Holder): Holder | undefined {
  const id = sha256(Buffer.concat([Buffer.from(`${seen.ino}:`), seen.bytes])).slice(0, 16);
  const claimOf = (n: number) => `${path}.reclaim.${id}.${n}`;
  let n = 0;
  for (; !tryCreate(claimOf(n), me); n++) {
    const claimer = parseHolder(readLockFile(claimOf(n))?.bytes);
    if (claimer && !isStale(claimer)) return claimer;
  }
  try {
    const now = readLockFile(path);
    if (now && now.ino === seen.ino && now.bytes.equals(seen.bytes)) rmSync(path, { force: true });
    return undefined;
  } finally {
    for (let i = n; i >= 0; i--) rmSync(claimOf(i), { force: true }); // `seen` is gone: its claims are void
  }
}

function parseHolder(bytes: Buffer | undefined): Holder | undefined {
  if (!bytes) return undefined;
  try {
    const holder = JSON.parse(bytes.toString("utf8")) as Holder | null;
    return holder && typeof holder.pid === "number" && typeof holder.host === "string" ? holder : undefined;
  } catch {
    return undefined;
  }
}

function isStale(holder: Holder): boolean {
  if (holder.host !== hostname()) return false; // cannot see another machine's processes
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  // the pid is alive; is it still the process that took the lock?
  return holder.started !== undefined && processStart(holder.pid) !== holder.started;
}

/** "<boot id>:<start time in clock ticks>" of a live process, from /proc; undefined elsewhere. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after the command name, which is in parentheses and may hold spaces
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return `${boot}:${fields[19]}`;
  } catch {
    return undefined;
  }
}

/**
 * What taking and reclaiming locks leave behind when a process is killed midway: temp files
 * (`lock.<pid>.<hex>`), claims (`lock.reclaim.<id>.<n>`, and their temp files) and the aside
 * files of older versions (`lock.stale.<pid>.<hex>`).
 */
export const LOCK_LEFTOVER = /^lock\.(?:\d+\.[0-9a-f]+|stale\.\d+\.[0-9a-f]+|reclaim\.[0-9a-f]+\.\d+(?:\.\d+\.[0-9a-f]+)?)$/;

/**
 * Removes (or, dry, counts) the leftovers in `dir` older than `graceMs`. The caller holds the
 * lock, so no claim there is for the current lock, and a temp file lives for microseconds:
 * one older than the grace period was left by a killed process and is never a lock itself.
 */
export function removeLockLeftovers(dir: string, graceMs: number, dry: boolean): number {
  let count = 0;
  for (const name of readdirSync(dir)) {
    if (!LOCK_LEFTOVER.test(name)) continue;
    const path = join(dir, name);
    if (Date.now() - statSync(path).mtimeMs < graceMs) continue;
    count++;
    if (!dry) rmSync(path, { force: true });
  }
  return count;
}

/** Deletes the lock only while it is still ours (it names our nonce). */
function releaseLock(path: string, me: Holder): void {
  const holder = parseHolder(readLockFile(path)?.bytes);
  if (holder && holder.nonce === me.nonce && holder.pid === me.pid) rmSync(path, { force: true });
}
