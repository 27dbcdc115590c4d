import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { PIPELINE_FILE } from "../../config/load.ts";
import { pipelineJsonSchema } from "../../config/json-schema.ts";
import { EXIT, PipelineError, UsageError } from "../../core/errors.ts";
import { packageRoot } from "../../core/paths.ts";
import { loadRegistry } from "../../engine/registry.ts";
import { parseCommandArgs } from "../args.ts";
import { findProjectDir } from "../find-project.ts";
import type { CliIO } from "../io.ts";
import { DEMO_FILES, demoDataCommand } from "./demo-data.ts";

export const SCHEMA_FILE = "pipeline.schema.json";

export const INIT_HELP = `usage: pipeline init [--demo [--rows N] [--features F] [--seed S]]

Starts a project in the current folder (or -C DIR, created if missing):
  pipeline.yaml         the built-in pipeline, commented; its first line points editors at
  ${SCHEMA_FILE}   the JSON Schema of pipeline.yaml (\`pipeline schema\` prints it)
  .gitignore            cache/ and the files the stages write (lines added, never removed)
With --demo it also writes the demo input files into data/demo (as \`pipeline demo-data\`,
150000 rows x 230 features unless --rows/--features say otherwise), so \`pipeline run\` runs.
It never overwrites: when any of these files exists it stops (exit 3) and names it.`;

export async function initCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("init", argv, {
    demo: { type: "boolean" },
    rows: { type: "string" },
    features: { type: "string" },
    seed: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(INIT_HELP);
    return EXIT.ok;
  }
  const demoFlags = (["rows", "features", "seed"] as const).filter((flag) => values[flag] !== undefined);
  if (!values.demo && demoFlags.length > 0) throw new UsageError(`init: --${demoFlags[0]} is for the demo data`, "add --demo");
  const dir = io.startDir ?? io.projectDir;
  const shipped = readFileSync(join(packageRoot(), PIPELINE_FILE), "utf8");
  const created = [PIPELINE_FILE, SCHEMA_FILE, ...(values.demo ? DEMO_FILES.map((f) => join("data", "demo", f)) : [])];
  const existing = created.find((file) => existsSync(join(dir, file)));
  if (existing) {
    throw new PipelineError(`${join(dir, existing)} already exists; init never overwrites a project`, {
      code: "E_INIT_EXISTS",
      exitCode: EXIT.config,
      hint:
        existing === PIPELINE_FILE
          ? "this folder is a project already: run `pipeline status` there"
          : "move it away first, or init another folder",
    });
  }
  const enclosing = findProjectDir(dirname(dir));
  mkdirSync(dir, { recursive: true });
  const schema = pipelineJsonSchema((await loadRegistry()).map((r) => r.def));
  writeFileSync(join(dir, SCHEMA_FILE), `${JSON.stringify(schema, null, 2)}\n`);
  writeFileSync(join(dir, PIPELINE_FILE), `# yaml-language-server: $schema=${SCHEMA_FILE}\n${shipped}`);
  const ignored = addIgnoreLines(dir, [
    "/cache/",
    ...declaredOutputs(shipped).map((path) => `/${path}`),
    ...(values.demo ? ["/data/demo/"] : []),
  ]);
  io.stdout(`wrote ${PIPELINE_FILE} and ${SCHEMA_FILE} in ${dir}`);
  if (ignored.length > 0) io.stdout(`.gitignore: added ${ignored.join(" ")}`);
  if (enclosing) io.stdout(`note: this folder is inside the project in ${enclosing}; commands run here now use the new one`);
  if (values.demo) {
    const demoArgs = demoFlags.flatMap((flag) => [`--${flag}`, values[flag]!]);
    const code = await demoDataCommand([...demoArgs, "--out", join(dir, "data", "demo")], io);
    if (code !== EXIT.ok) return code;
    io.stdout("next: pipeline run");
  } else {
    io.stdout("next: point the load and classify inputs in pipeline.yaml at your data (or run `pipeline demo-data`), then `pipeline run`");
  }
  return EXIT.ok;
}

/** The file paths pipeline.yaml's stages write (`outputs:`), which belong in .gitignore. */
function declaredOutputs(yamlText: string): string[] {
  const doc = parse(yamlText) as { stages?: Record<string, { outputs?: Record<string, string> } | null> };
  return Object.values(doc.stages ?? {}).flatMap((entry) => Object.values(entry?.outputs ?? {}));
}

/** Appends the lines .gitignore lacks; returns them. */
function addIgnoreLines(dir: string, lines: readonly string[]): string[] {
  const file = join(dir, ".gitignore");
  const before = existsSync(file) ? readFileSync(file, "utf8") : "";
  const present = new Set(before.split("\n").map((line) => line.trim()));
  const missing = lines.filter((line) => !present.has(line) && !present.has(line.replace(/^\//, "")));
  if (missing.length === 0) return [];
  const separator = before === "" || before.endsWith("\n") ? "" : "\n";
  const block = `${before === "" ? "" : "\n"}# pipeline: its cache and the files its stages write\n${missing.join("\n")}\n`;
  writeFileSync(file, `${before}${separator}${block}`);
  return missing;
}
