import { pipelineJsonSchema } from "../../config/json-schema.ts";
import { EXIT } from "../../core/errors.ts";
import { loadRegistry } from "../../engine/registry.ts";
import { parseCommandArgs } from "../args.ts";
import { findProjectDir } from "../find-project.ts";
import type { CliIO } from "../io.ts";
import { projectRegistry } from "../project.ts";

export const SCHEMA_HELP = `usage: pipeline schema

Prints the JSON Schema (draft-07) of pipeline.yaml: every key, every stage's parameters with
their descriptions and defaults, its inputs and outputs. Inside a project it covers the stages
of its plugins too. Editors that read the \`# yaml-language-server: $schema=pipeline.schema.json\`
line \`pipeline init\` writes then complete and check the file:
  pipeline schema > pipeline.schema.json`;

export async function schemaCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("schema", argv, { help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.stdout(SCHEMA_HELP);
    return EXIT.ok;
  }
  const inProject = findProjectDir(io.projectDir) !== undefined;
  const registry = inProject ? (await projectRegistry(io.projectDir)).registry : await loadRegistry();
  io.stdout(JSON.stringify(pipelineJsonSchema(registry.map((r) => r.def)), null, 2));
  return EXIT.ok;
}
