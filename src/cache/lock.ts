import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PipelineError, EXIT } from "../core/errors.ts";

interface Holder {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export class LockBusyError extends PipelineError {
  constructor(holder: Holder) {
    super(`another pipeline run holds this project (pid ${holder.pid} on ${holder.host}, since ${holder.since}: ${holder.command})`, {
      code: "E_LOCKED",
      exitCode: EXIT.stageFailed,
      hint: "wait for it to finish, or run without --no-wait to queue behind it",
    });
  }
}

/**
 * One run at a time per project: an O_EXCL lock file naming its holder. A lock whose holder
 * process is gone (kill -9) is reclaimed. Waiting is the default, like a build tool queueing.
 */
export async function acquireLock(
  path: string,
  options: { wait: boolean; command: string; onWait?: (holder: Holder) => void; signal?: AbortSignal },
): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true });
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: options.command };
  let told = false;
  for (;;) {
    if (tryCreate(path, me)) return () => releaseLock(path, me);
    const holder = readHolder(path);
    if (holder && isStale(holder)) {
      // re-read just before removing, so we never delete a lock another waiter has just taken
      if (JSON.stringify(readHolder(path)) === JSON.stringify(holder)) rmSync(path, { force: true });
      continue;
    }
    if (!holder) {
      await sleep(50); // being written right now, or damaged: look again
      if (!readHolder(path) && existsSync(path)) rmSync(path, { force: true });
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
  try {
    const fd = openSync(path, "wx");
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
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
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function releaseLock(path: string, me: Holder): void {
  const holder = readHolder(path);
  if (holder && holder.pid === me.pid && holder.since === me.since) rmSync(path, { force: true });
}
