import { EXIT, PipelineError } from "../core/errors.ts";
import type { ProcessResult } from "./process.ts";

/** A command stage's failure (exit 1, as any failed stage): what happened, and how to look closer. */
export class CommandError extends PipelineError {
  constructor(message: string, hint: string) {
    super(message, { code: "E_COMMAND", exitCode: EXIT.stageFailed, hint });
  }
}

const DEBUG_HINT = "fix the command or the script it runs; `pipeline run --verbose` prints every line it writes";

/** The failure a finished command amounts to, or undefined when it exited 0. */
export function commandFailure(result: ProcessResult, program: string, shell: boolean): CommandError | undefined {
  const { end } = result;
  if (end.kind === "exit" && end.code === 0) return undefined;
  if (end.kind === "spawn-error") {
    if (end.code === "ENOENT")
      return new CommandError(
        `command not found: ${program} (ENOENT)`,
        "install it, or give its full path (e.g. /usr/bin/python3) as the first item of `cmd`",
      );
    return new CommandError(`cannot start ${program}: ${end.message}`, "check that the program exists and is executable");
  }
  const tail = stderrTail(result.stderrTail);
  if (end.kind === "signal") return new CommandError(`command was killed by ${end.signal}${tail}`, DEBUG_HINT);
  if (end.code === 127 && shell) {
    return new CommandError(
      `command exited with code 127: the shell could not find a program it names${tail}`,
      "install it, or give its full path in `cmd`",
    );
  }
  return new CommandError(`command exited with code ${end.code}${tail}`, DEBUG_HINT);
}

function stderrTail(lines: readonly string[]): string {
  if (lines.length === 0) return " (it wrote nothing to stderr)";
  return `; the last ${lines.length === 1 ? "line" : `${lines.length} lines`} of its stderr:\n${lines.map((l) => `    ${l}`).join("\n")}`;
}
