import { spawn } from "node:child_process";
import type { Invocation } from "../core/command.ts";
import { LOG_LINE_CHARS } from "../core/events.ts";
import { LineTail } from "./tail.ts";

/** Lines of stderr a failure message quotes. */
export const STDERR_TAIL_LINES = 20;
/** How long a command gets between SIGTERM and SIGKILL when the run is interrupted. */
const TERM_GRACE_MS = 1000;
/** How long stdout and stderr may stay open after the command exits (a background child holding them). */
const STDIO_GRACE_MS = 500;

export type ProcessEnd =
  | { readonly kind: "exit"; readonly code: number }
  | { readonly kind: "signal"; readonly signal: string }
  /** the program could not be started: ENOENT (not found), EACCES (not executable), ... */
  | { readonly kind: "spawn-error"; readonly code: string; readonly message: string };

export interface ProcessResult {
  readonly end: ProcessEnd;
  readonly stderrTail: readonly string[];
  /** the run was interrupted and the command stopped */
  readonly aborted: boolean;
}

export interface ProcessOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
  /** the lines stdout and stderr completed, as they come */
  onLines(lines: readonly string[]): void;
}

/**
 * Runs the command to its end with no stdin. It leads its own process group, so an interrupt
 * (SIGTERM, then SIGKILL after a grace) and the clean-up after it exits reach what it started
 * too: a command's background processes do not outlive its stage.
 */
export function runProcess(invocation: Invocation, options: ProcessOptions): Promise<ProcessResult> {
  const [file, args] = "shell" in invocation ? ["/bin/sh", ["-c", invocation.shell]] : [invocation.argv[0]!, invocation.argv.slice(1)];
  const stderr = new LineTail(STDERR_TAIL_LINES, LOG_LINE_CHARS);
  const stdout = new LineTail(1, LOG_LINE_CHARS);
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let ended: ProcessEnd | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = () => {
      const unfinished = [...stdout.end(), ...stderr.end()];
      if (unfinished.length > 0) options.onLines(unfinished);
      options.signal.removeEventListener("abort", onAbort);
      clearTimeout(killTimer);
      killGroup(child.pid, "SIGKILL");
      resolve({ end: ended!, stderrTail: stderr.lines(), aborted: options.signal.aborted });
    };
    const onAbort = () => {
      killGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), TERM_GRACE_MS);
    };
    options.signal.addEventListener("abort", onAbort, { once: true });
    if (options.signal.aborted) onAbort();
    child.stdout.on("data", (chunk: Buffer) => options.onLines(stdout.push(chunk)));
    child.stderr.on("data", (chunk: Buffer) => options.onLines(stderr.push(chunk)));
    child.on("error", (error: NodeJS.ErrnoException) => {
      // only a failed spawn: once it started, the exit event reports how it ended
      if (child.pid !== undefined || ended) return;
      ended = { kind: "spawn-error", code: error.code ?? "EUNKNOWN", message: error.message };
      finish();
    });
    child.on("exit", (code, signal) => {
      ended = signal ? { kind: "signal", signal } : { kind: "exit", code: code ?? 0 };
      let closed = 0;
      const grace = setTimeout(finish, STDIO_GRACE_MS);
      const onClose = () => {
        if (++closed < 2) return;
        clearTimeout(grace);
        finish();
      };
      if (child.stdout.closed) closed++;
      if (child.stderr.closed) closed++;
      if (closed >= 2) onClose();
      child.stdout.once("close", onClose);
      child.stderr.once("close", onClose);
    });
  });
}

/** Signals the process group `pid` leads; one that is gone already is fine. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left to stop
  }
}
