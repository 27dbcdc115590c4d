import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "../core/errors.ts";

/** config/load.ts's PIPELINE_FILE, spelled here so the CLI's entry point does not load the yaml reader. */
const PROJECT_FILE = "pipeline.yaml";

/**
 * The project folder for a command started in `start` (the working folder, or `-C DIR`): the
 * nearest folder at or above it that holds pipeline.yaml, as git finds its repository.
 * Undefined when there is none up to the root.
 */
export function findProjectDir(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, PROJECT_FILE))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Every command that works on a project refuses to go on without one, with this one message.
 * `dir` is the CLI's projectDir: main() searched it and every folder above it before settling on it.
 */
export function requireProject(dir: string): void {
  if (existsSync(join(dir, PROJECT_FILE))) return;
  throw new UsageError(
    `no ${PROJECT_FILE} in ${dir} or any folder above it`,
    "run `pipeline init` to start a project there, or pass -C DIR",
  );
}
