import { EXIT, UsageError } from "../../core/errors.ts";
import { didYouMeanTail } from "../../core/suggest.ts";
import { splitPatterns } from "../../exp/columns.ts";
import { diffMetrics, diffParams } from "../../exp/diff.ts";
import { renderDiff } from "../../exp/render-diff.ts";
import { renderTableCsv, renderTableJson, renderTableMarkdown, renderTableText } from "../../exp/render-table.ts";
import { resolvePair } from "../../exp/resolve.ts";
import { buildExpTable } from "../../exp/table.ts";
import { parseCommandArgs, positiveInt } from "../args.ts";
import type { CliIO } from "../io.ts";
import { DIFF_OPTIONS, pickFormat, readProjectRuns } from "./exp-io.ts";

export const EXP_HELP = `usage: pipeline exp show [--csv|--json|--md] [--sort-by COL] [--sort-order asc|desc]
                         [--limit N] [--all-params] [--name NAME] [--keep GLOB]... [--drop GLOB]...
       pipeline exp diff A [B] [--json|--md] [--all]

Compares the recorded runs (cache/runs/), one row per run, as \`dvc exp show\` does.

exp show      the runs, newest first: id, name (--name), when, ok/failed, the parameters that
              differ between the shown runs (STAGE.PARAM; all of them with --all-params) and
              every metric (STAGE.METRIC). * marks runs made with pipeline.yaml's own parameters
              and seed (no --set). --sort-by COL sorts by a parameter or metric (a unique ending
              such as macro_f1 will do), ascending unless --sort-order desc; --limit N keeps the
              newest N runs; --name NAME only the runs of that name (a sweep's variants).
              --drop GLOB hides the parameter and metric columns it matches, --keep GLOB shows
              them whatever --drop says (alone: only them); globs match a column's name or its
              ending after a dot (evaluate.*, cluster.inertia, f1.*), repeat them or separate
              them with commas.
              --csv (full precision), --json (one object per run), --md (a markdown table).
exp diff A B  the parameters and metrics that differ between run A (old) and run B (new); --all
              lists unchanged ones too. B defaults to the workspace run: the newest run made
              with pipeline.yaml's own configuration.

A and B are run ids, unique id prefixes or run names (see \`pipeline exp show\`).`;

export async function expCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") {
    io.stdout(EXP_HELP);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub === "show") return expShow(rest, io);
  if (sub === "diff") return expDiff(rest, io);
  throw new UsageError(
    `unknown exp command "${sub}"${didYouMeanTail(sub, ["show", "diff"])}`,
    "use `pipeline exp show` or `pipeline exp diff A B`",
  );
}

async function expShow(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("exp show", argv, {
    csv: { type: "boolean" },
    json: { type: "boolean" },
    md: { type: "boolean" },
    "sort-by": { type: "string" },
    "sort-order": { type: "string" },
    limit: { type: "string" },
    "all-params": { type: "boolean" },
    name: { type: "string" },
    keep: { type: "string", multiple: true },
    drop: { type: "string", multiple: true },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(EXP_HELP);
    return EXIT.ok;
  }
  const order = values["sort-order"];
  if (order !== undefined && order !== "asc" && order !== "desc") throw new UsageError(`--sort-order must be asc or desc, got "${order}"`);
  const format = pickFormat("exp show", values, ["csv", "json", "md"] as const);
  const limit = values.limit === undefined ? undefined : positiveInt("--limit", values.limit, 0);
  const name = values.name;
  // with no filter, --limit lets the reader stop after the newest N files
  const logs = readProjectRuns(io.projectDir, name === undefined ? limit : undefined);
  const table = buildExpTable(logs, {
    allParams: values["all-params"] ?? false,
    keep: splitPatterns(values.keep),
    drop: splitPatterns(values.drop),
    ...(values["sort-by"] !== undefined ? { sortBy: values["sort-by"] } : {}),
    ...(order !== undefined ? { sortOrder: order } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(name !== undefined ? { filter: (log) => log.name === name } : {}),
  });
  if (format === "json") io.stdout(renderTableJson(table));
  else if (table.rows.length === 0)
    io.stderr(logs.length === 0 ? "no runs are recorded yet: `pipeline run` records one" : `no run is named "${name}"`);
  else io.stdout(format === "csv" ? renderTableCsv(table) : format === "md" ? renderTableMarkdown(table) : renderTableText(table));
  return EXIT.ok;
}

async function expDiff(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs("exp diff", argv, DIFF_OPTIONS, true);
  if (values.help) {
    io.stdout(EXP_HELP);
    return EXIT.ok;
  }
  if (positionals.length < 1 || positionals.length > 2)
    throw new UsageError("exp diff takes one or two runs: A [B]", "e.g. `pipeline exp diff my-experiment` (against the workspace run)");
  const format = pickFormat("exp diff", values, ["json", "md"] as const);
  const logs = readProjectRuns(io.projectDir);
  const [aRef, bRef] = positionals as [string, string | undefined];
  const { a, b } = resolvePair(logs, aRef, bRef);
  const all = values.all ?? false;
  io.stdout(renderDiff({ a, b, params: diffParams(a, b, { all }), metrics: diffMetrics(a, b, { all }) }, format));
  return EXIT.ok;
}
