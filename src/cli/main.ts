import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { EXIT, PipelineError, UsageError } from "../core/errors.ts";
import { packageRoot } from "../core/paths.ts";
import { didYouMeanTail } from "../core/suggest.ts";
import { findProjectDir } from "./find-project.ts";
import type { CliIO, Command } from "./io.ts";

export const HELP = `usage: pipeline [-C DIR] <command> [options]

A DAG runner with content-hashed cached artifacts. Stages and their wiring live in
pipeline.yaml; a stage reruns only when its code, parameters, seed or inputs change.

commands:
  run [STAGE...]     run what is not cached (see \`pipeline run --help\`)
  status             which stages would run, and why
  explain STAGE      every part of STAGE's cache key and what changed since its last run
  dag                draw the stage graph (--format text|mermaid|dot)
  gc                 remove cache entries nothing reaches any more
  cache verify       re-hash the cache and drop damaged entries
  cache push|pull    share stage results with the remote cache (status, keygen: see --help)
  init [--demo]      start a project here: pipeline.yaml, its JSON Schema, .gitignore lines
  schema             print the JSON Schema of pipeline.yaml (for editors)
  demo-data          write the deterministic demo input files
  stream             replay a written fit to the dashboard (see \`pipeline stream --help\`)
  report             write a self-contained HTML page of the current fit
  exp show           the recorded runs side by side: changed parameters and metrics
  exp diff A [B]     parameters and metrics that differ between run A and run B
  params diff [A B]  parameters that differ between two runs (default: the newest other run
                     against the workspace run, the newest one without --set)
  metrics diff [A B] metrics that differ between two runs, and by how much
  worker             compute queued shards of sharded stages (\`run --executor bullmq\`)

global options:
  -C DIR             run as if started in DIR; the project is the nearest folder at or
                     above it with a pipeline.yaml (as git finds its repository)
  -h, --help         help (also after a command)
  --version          print the version`;

/** Every command, by the name typed after `pipeline`: dispatch and "did you mean" both read it. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./commands/run.ts")).runCommand,
  status: async () => (await import("./commands/status.ts")).statusCommand,
  explain: async () => (await import("./commands/explain.ts")).explainCommand,
  dag: async () => (await import("./commands/dag.ts")).dagCommand,
  gc: async () => (await import("./commands/gc.ts")).gcCommand,
  cache: async () => (await import("./commands/cache.ts")).cacheCommand,
  "demo-data": async () => (await import("./commands/demo-data.ts")).demoDataCommand,
  init: async () => (await import("./commands/init.ts")).initCommand,
  schema: async () => (await import("./commands/schema.ts")).schemaCommand,
  stream: async () => (await import("./commands/stream.ts")).streamCommand,
  report: async () => (await import("./commands/report.ts")).reportCommand,
  exp: async () => (await import("./commands/exp.ts")).expCommand,
  params: async () => (await import("./commands/diff.ts")).paramsDiffCommand,
  metrics: async () => (await import("./commands/diff.ts")).metricsDiffCommand,
  worker: async () => (await import("./commands/worker.ts")).workerCommand,
};

/** The command names `pipeline` dispatches on, in the order the registry lists them. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** The one place that turns errors into messages and exit codes. */
export async function main(argv: readonly string[], base: Omit<CliIO, "projectDir">): Promise<number> {
  try {
    const { dir, rest } = splitGlobal(argv);
    const [name, ...args] = rest;
    if (name === undefined || name === "-h" || name === "--help" || name === "help") {
      base.stdout(HELP);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === "--version") {
      base.stdout((JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version);
      return EXIT.ok;
    }
    const load = COMMANDS[name];
    if (!load)
      throw new UsageError(`unknown command "${name}"${didYouMeanTail(name, COMMAND_NAMES)}`, "run `pipeline --help` for the list");
    const startDir = dir ? resolve(base.cwd, dir) : base.cwd;
    return await (await load())(args, { ...base, startDir, projectDir: findProjectDir(startDir) ?? startDir });
  } catch (error) {
    if (error instanceof PipelineError) {
      base.stderr(`error: ${error.message}`);
      if (error.hint) base.stderr(`hint: ${error.hint}`);
      return error.exitCode;
    }
    base.stderr(String(error instanceof Error ? error.stack : error));
    base.stderr("this is a bug in pipeline; please report it with the output of `pipeline status --json`");
    return EXIT.internal;
  }
}

function splitGlobal(argv: readonly string[]): { dir: string | undefined; rest: string[] } {
  const rest = [...argv];
  let dir: string | undefined;
  while (rest[0] === "-C" || (rest[0]?.startsWith("-C") === true && rest[0].length > 2)) {
    const flag = rest.shift()!;
    dir = flag === "-C" ? rest.shift() : flag.slice(2);
    if (!dir) throw new UsageError("-C needs a directory", "e.g. pipeline -C path/to/project run");
  }
  return { dir, rest };
}
