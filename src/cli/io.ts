/**
 * What a CLI command gets from the shell: where it runs and how it talks. Commands parse their
 * own flags (node:util parseArgs), throw UsageError for bad usage, and return an exit code.
 */
export interface CliIO {
  /** the directory the user ran the command in (relative CLI paths resolve against it) */
  readonly cwd: string;
  /** where the command started: `-C DIR`, or cwd */
  readonly startDir?: string;
  /**
   * the project folder, holding pipeline.yaml and cache/: the nearest folder at or above
   * startDir with a pipeline.yaml (startDir itself when there is none)
   */
  readonly projectDir: string;
  stdout(line: string): void;
  stderr(line: string): void;
  readonly isTTY: boolean;
  /** aborted on the first SIGINT/SIGTERM */
  readonly signal: AbortSignal;
}

export type Command = (argv: readonly string[], io: CliIO) => Promise<number>;
