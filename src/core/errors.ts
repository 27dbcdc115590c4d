/** Exit codes, as SPEC section 8 fixes them. */
export const EXIT = {
  ok: 0,
  stageFailed: 1,
  usage: 2,
  config: 3,
  publish: 4,
  checkDiffers: 5,
  /** a service the run was told to use cannot be reached: the queue's Redis (EX_UNAVAILABLE) */
  unavailable: 69,
  internal: 70,
  /** `--no-wait` and another process holds the project (EX_TEMPFAIL: try again later) */
  locked: 75,
  interrupted: 130,
} as const;

interface ErrorInit {
  code: `E_${string}`;
  exitCode: number;
  hint?: string;
  cause?: unknown;
}

/** Any error meant for the user: main() prints message and hint, exits with exitCode. */
export class PipelineError extends Error {
  readonly code: `E_${string}`;
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(message: string, init: ErrorInit) {
    super(message, { cause: init.cause });
    this.name = new.target.name;
    this.code = init.code;
    this.exitCode = init.exitCode;
    this.hint = init.hint;
  }
}

/**
 * Bad input data (a missing column, a phase code out of range, ...). Stages throw it; the
 * engine reports it as that stage's failure (exit 1). The message names the file and the
 * column; the hint says how to fix it.
 */
export class InputError extends PipelineError {
  constructor(message: string, hint: string, code: `E_${string}` = "E_INPUT") {
    super(message, { code, exitCode: EXIT.stageFailed, hint });
  }
}

export class UsageError extends PipelineError {
  constructor(message: string, hint?: string) {
    super(message, { code: "E_USAGE", exitCode: EXIT.usage, ...(hint ? { hint } : {}) });
  }
}

/** ConfigError lists this many problems; the rest are counted. */
export const MAX_LISTED_ISSUES = 50;
/** A listed problem is cut to this many characters (a key can be as long as the file). */
const MAX_ISSUE_CHARS = 400;

export class ConfigError extends PipelineError {
  readonly issues: readonly string[];

  constructor(file: string, issues: readonly string[], options: { hint?: string } = {}) {
    const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => `  - ${_cut(issue, MAX_ISSUE_CHARS)}`);
    if (issues.length > MAX_LISTED_ISSUES) listed.push(`  ... and ${issues.length - MAX_LISTED_ISSUES} more`);
    super(`${file} has ${issues.length} problem${issues.length === 1 ? "" : "s"}:\n${listed.join("\n")}`, {
      code: "E_CONFIG_INVALID",
      exitCode: EXIT.config,
      hint: options.hint ?? "fix the fields listed above, then run `pipeline status`",
    });
    this.issues = issues;
  }
}

function _cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/** Raised inside a stage when its AbortSignal fires. */
export class CancelledError extends PipelineError {
  constructor(what = "run") {
    super(`${what} was interrupted`, { code: "E_INTERRUPTED", exitCode: EXIT.interrupted });
  }
}

/** A bug in pipeline itself, never the user's project; main() asks for a report. */
export class InternalError extends Error {}

export function describeError(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
