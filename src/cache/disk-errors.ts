import { dirname } from "node:path";
import { EXIT, PipelineError } from "../core/errors.ts";

/** The disk holding cache/ (or an output's folder) is full: the user's to fix, exit 1. */
export class NoSpaceError extends PipelineError {
  constructor(target: string, bytes: number) {
    super(`no space left on the device holding ${dirname(target)} (a write of about ${formatMb(bytes)} failed there)`, {
      code: "E_NO_SPACE",
      exitCode: EXIT.stageFailed,
      hint:
        "free some space on that device (`pipeline gc` removes unreachable cache entries), then run again; " +
        "nothing already stored was changed",
    });
  }
}

/** ENOSPC and EDQUOT become a NoSpaceError naming the file; anything else is returned as it is. */
export function asDiskError(error: unknown, target: string, bytes: number): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT" ? new NoSpaceError(target, bytes) : error;
}

function formatMb(bytes: number): string {
  return bytes < 1 << 20 ? `${Math.max(1, Math.ceil(bytes / 1024))} KB` : `${(bytes / (1 << 20)).toFixed(1)} MB`;
}
