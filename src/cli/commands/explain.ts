import type { z } from "zod";
import { parseOverride } from "../../config/overrides.ts";
import { lookUpEntry, type CacheEntry } from "../../cache/entries.ts";
import { EXIT, UsageError } from "../../core/errors.ts";
import { requireStage } from "../../core/select.ts";
import { parseCommandArgs } from "../args.ts";
import type { CliIO } from "../io.ts";
import { openProject } from "../project.ts";
import { openRemote } from "../../remote/open.ts";
import { planProject } from "./plan.ts";

export const EXPLAIN_HELP = `usage: pipeline explain STAGE [--set STAGE.P=V]...

Prints every part of STAGE's cache key, whether it is cached, and what changed since the last
run of that stage (params.k: 8 -> 5, input features: sha 1a2b.. -> 9f8e..).`;

export async function explainCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "explain",
    argv,
    { set: { type: "string", multiple: true }, help: { type: "boolean", short: "h" } },
    true,
  );
  if (values.help) {
    io.stdout(EXPLAIN_HELP);
    return EXIT.ok;
  }
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UsageError("explain takes exactly one stage name", "e.g. `pipeline explain cluster`");
  const project = await openProject(io.projectDir, (values.set ?? []).map(parseOverride), (m) => io.stderr(`warning: ${m}`));
  requireStage(project.pipeline, name);
  const stage = project.pipeline.stages.get(name)!;
  // a configured remote is asked too: upstream entries may live only there
  const remote = openRemote(project, (m) => io.stderr(`warning: ${m}`));
  const row = (await planProject(project, remote).finally(() => remote?.close())).find((r) => r.stage === name)!;

  io.stdout(`${name} (uses ${stage.def.name}, version ${stage.def.version}): ${stage.def.summary}`);
  io.stdout(`state: ${row.state}${row.key ? `   key ${row.key}` : ""}`);
  for (const reason of row.reasons) io.stdout(`  - ${reason}`);
  const found = row.key && row.result.status === "cached" ? await lookUpEntry(project.store, name, row.key) : undefined;
  if (found?.warning) io.stderr(`warning: ${found.warning}`);
  const entry = found?.entry;
  if (entry) io.stdout(`entry: ${describeOrigin(entry)}`);
  else if (row.result.from === "remote") io.stdout(`entry: on the remote cache ${remote!.settings.display} (not downloaded yet)`);
  const parts = row.result.parts as Record<string, unknown> | undefined;
  if (!parts) return EXIT.ok;
  io.stdout("key parts:");
  io.stdout(`  engine   ${String(parts.engine)}`);
  io.stdout(`  code     ${String(parts.code)}`);
  if (parts.command) io.stdout(`  command  ${JSON.stringify(parts.command)}`);
  io.stdout(`  seed     ${String(parts.seed)} (derived from the global seed ${project.pipeline.seed} and the stage name)`);
  const shape = (stage.def.params as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  for (const [param, value] of Object.entries((parts.params ?? {}) as Record<string, unknown>)) {
    const doc = shape[param]?.description;
    io.stdout(`  params.${param} = ${JSON.stringify(value)}${doc ? `   (${doc})` : ""}`);
  }
  for (const [slot, hash] of Object.entries((parts.inputs ?? {}) as Record<string, string>)) {
    const binding = stage.inputs.find((b) => b.slot === slot);
    io.stdout(`  input ${slot} <- ${binding?.kind === "ref" ? `${binding.stage}.${binding.output}` : "?"}  sha ${hash}`);
  }
  for (const [slot, hash] of Object.entries((parts.sources ?? {}) as Record<string, string>)) {
    const binding = stage.inputs.find((b) => b.slot === slot);
    io.stdout(`  input file ${slot} <- ${binding?.kind === "file" ? binding.display : "?"}  sha ${hash}`);
  }
  return EXIT.ok;
}

/** Where a local entry came from: the run (and CI job) that produced it, and the remote's signer. */
function describeOrigin(entry: CacheEntry): string {
  const producer = entry.run ? `produced by run ${entry.run}${entry.ci_job ? ` (${entry.ci_job})` : ""}` : "produced by an unrecorded run";
  if (!entry.signer) return `computed here; ${producer}, ${entry.created}`;
  // the signature covers the stage, key and outputs; who produced it is the writer's word
  const signed = `downloaded from the remote cache, signed by ${entry.signer.slice(0, 20)}...`;
  return `${signed}; ${producer}, ${entry.created} (as the writer recorded it, outside the signature)`;
}
