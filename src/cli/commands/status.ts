import { parseOverride } from "../../config/overrides.ts";
import { EXIT } from "../../core/errors.ts";
import { parseCommandArgs } from "../args.ts";
import type { CliIO } from "../io.ts";
import { openProject } from "../project.ts";
import { planProject } from "./plan.ts";

export const STATUS_HELP = `usage: pipeline status [--json] [--set STAGE.P=V]...

Says, for every stage, whether a run would take it from the cache or run it, and why, and
whether its declared output files hold what the cache says (missing or differing files are
"outputs changed"; a run restores them). --json adds each output file's state.`;

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
    io.stdout(
      JSON.stringify({ stages: rows.map((r) => ({ name: r.stage, state: r.state, key: r.key, reasons: r.reasons, outputs: r.outputs })) }),
    );
    return EXIT.ok;
  }
  const width = Math.max(...rows.map((r) => r.stage.length)) + 2;
  for (const row of rows) {
    io.stdout(`${row.stage.padEnd(width)}${row.state}`);
    for (const reason of row.reasons) io.stdout(`${" ".repeat(width)}  - ${reason}`);
  }
  const stale = rows.filter((r) => r.state === "stale" || r.state === "waiting" || r.state === "missing input").length;
  const restore = rows.filter((r) => r.state === "outputs changed").length;
  const parts = [
    ...(stale > 0 ? [`${stale} stage(s) would run`] : []),
    ...(restore > 0 ? [`${restore} stage(s) would restore their output files`] : []),
  ];
  io.stdout(parts.length === 0 ? "everything is up to date" : `${parts.join(", ")}; \`pipeline run\` does it`);
  return EXIT.ok;
}
