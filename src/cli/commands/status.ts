import { parseOverride } from "../../config/overrides.ts";
import { EXIT } from "../../core/errors.ts";
import { parseCommandArgs } from "../args.ts";
import type { CliIO } from "../io.ts";
import { openProject } from "../project.ts";
import { planProject } from "./plan.ts";

export const STATUS_HELP = `usage: pipeline status [--json] [--set STAGE.P=V]...

Says, for every stage, whether a run would take it from the cache or run it, and why.`;

export async function statusCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("status", argv, {
    json: { type: "boolean" },
    set: { type: "string", multiple: true },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(STATUS_HELP);
    return EXIT.ok;
  }
  const project = await openProject(io.projectDir, (values.set ?? []).map(parseOverride), (m) => io.stderr(`warning: ${m}`));
  const rows = await planProject(project);
  if (values.json) {
    io.stdout(JSON.stringify({ stages: rows.map((r) => ({ name: r.stage, state: r.state, key: r.key, reasons: r.reasons })) }));
    return EXIT.ok;
  }
  const width = Math.max(...rows.map((r) => r.stage.length)) + 2;
  for (const row of rows) {
    io.stdout(`${row.stage.padEnd(width)}${row.state}`);
    for (const reason of row.reasons) io.stdout(`${" ".repeat(width)}  - ${reason}`);
  }
  const stale = rows.filter((r) => r.state === "stale" || r.state === "waiting" || r.state === "missing input").length;
  io.stdout(stale === 0 ? "everything is up to date" : `${stale} stage(s) would run; \`pipeline run\` runs them`);
  return EXIT.ok;
}
