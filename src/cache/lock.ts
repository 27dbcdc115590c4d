import { closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PipelineError, EXIT } from "../core/errors.ts";
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
 * finished temp file into place (so nobody ever sees it half-written). A lock whose holder
 * process is gone (kill -9) is reclaimed. Waiting is the default, like a build tool queueing.
 */
export async function acquireLock(
  path: string,
  options: { wait: boolean; command: string; onWait?: (holder: Holder) => void; signal?: AbortSignal },
): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true });
  const started = processStart(process.pid);
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: options.command, ...(started ? { started } : {}) };
  let told = false;
  for (;;) {
    if (tryCreate(path, me)) return () => releaseLock(path, me);
    const holder = readHolder(path);
    if (!holder) {
      if (existsSync(path)) reclaim(path); // not a lock we can read: treat it as stale
      continue; // (or it was released between our two looks)
    }
    if (isStale(holder)) {
      reclaim(path);
      continue;
    }
    if (!options.wait) throw new LockBusyError(holder);
    if (!told) options.onWait?.(holder);
    told = true;
    if (options.signal?.aborted) throw new PipelineError("interrupted while waiting for the project lock", { code: "E_INTERRUPTED", exitCode: EXIT.interrupted });
    await sleep(200);
  }
}

function tryCreate(path: string, me: Holder): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  try {
    const fd = openSync(temp, "w");
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

/**
 * Moves a stale lock aside under a unique name before deciding, so two runs reclaiming at once
 * cannot delete each other's fresh lock: only one rename of a given file can succeed, and a
 * live lock taken by mistake is linked back.
 */
function reclaim(path: string): void {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else moved or released it
  }
  const holder = readHolder(aside);
  if (holder && !isStale(holder)) {
    try {
      linkSync(aside, path);
    } catch {
      // a new lock was taken meanwhile; the one we moved will be refused by its owner's release check
    }
  }
  rmSync(aside, { force: true });
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Holder;
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

/** Lock temp files (`lock.<pid>.<hex>`, `lock.stale.*`) left behind by a killed process: gc removes them. */
export const LOCK_TEMP = /^lock\.(stale\.)?\d+\.[0-9a-f]+$/;

function releaseLock(path: string, me: Holder): void {
  const holder = readHolder(path);
  if (holder && holder.pid === me.pid && holder.since === me.since && existsSync(path)) rmSync(path, { force: true });
}
