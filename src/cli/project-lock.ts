import { join } from "node:path";
import { acquireLock } from "../cache/lock.ts";
import type { CliIO } from "./io.ts";

/**
 * Takes the project's lock for a command that changes cache/ (run, gc, cache verify), so none
 * of them ever sees another's half-done work. Returns the release function.
 */
export function lockProject(
  cacheRoot: string,
  io: Pick<CliIO, "signal">,
  options: { command: string; wait: boolean; log: (line: string) => void },
): Promise<() => void> {
  return acquireLock(join(cacheRoot, "lock"), {
    wait: options.wait,
    command: options.command,
    signal: io.signal,
    onWait: (h) =>
      options.log(
        `waiting for another pipeline command on this project (pid ${h.pid} on ${h.host}, since ${h.since}: ${h.command}); ` +
          `if no such process exists, delete cache/lock`,
      ),
  });
}
