import { EXIT, UsageError } from "../../core/errors.ts";
import { didYouMeanTail } from "../../core/suggest.ts";
import { diffMetrics, diffParams } from "../../exp/diff.ts";
import { renderDiff } from "../../exp/render-diff.ts";
import { resolvePair } from "../../exp/resolve.ts";
import { parseCommandArgs } from "../args.ts";
import type { CliIO } from "../io.ts";
import { DIFF_OPTIONS, pickFormat, readProjectRuns } from "./exp-io.ts";

const DEFAULTS = `A and B are run ids, unique id prefixes or run names (see \`pipeline exp show\`). B defaults
to the workspace run: the newest run made with pipeline.yaml's own parameters and seed (no
--set). A defaults to the newest other run: the experiment you just ran with --set, or the
previous run of the yaml (as DVC compares HEAD with the workspace).`;

export const PARAMS_DIFF_HELP = `usage: pipeline params diff [A [B]] [--json|--md] [--all]

The parameters (STAGE.PARAM, and the seed) whose values differ between run A (old) and run B
(new); --all lists unchanged ones too.

${DEFAULTS}`;

export const METRICS_DIFF_HELP = `usage: pipeline metrics diff [A [B]] [--json|--md] [--all]

The metrics (STAGE.METRIC) whose values differ between run A (old) and run B (new), with the
change (new - old); --all lists unchanged ones too. A stage that did not run or come from the
cache in a run has no metrics there.

${DEFAULTS}`;

export function paramsDiffCommand(argv: readonly string[], io: CliIO): Promise<number> {
  return _diffCommand("params", PARAMS_DIFF_HELP, argv, io);
}

export function metricsDiffCommand(argv: readonly string[], io: CliIO): Promise<number> {
  return _diffCommand("metrics", METRICS_DIFF_HELP, argv, io);
}

async function _diffCommand(what: "params" | "metrics", help: string, argv: readonly string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") {
    io.stdout(help);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub !== "diff")
    throw new UsageError(`unknown ${what} command "${sub}"${didYouMeanTail(sub, ["diff"])}`, `use \`pipeline ${what} diff [A [B]]\``);
  const { values, positionals } = parseCommandArgs(`${what} diff`, rest, DIFF_OPTIONS, true);
  if (values.help) {
    io.stdout(help);
    return EXIT.ok;
  }
  if (positionals.length > 2) throw new UsageError(`${what} diff takes at most two runs: [A [B]]`);
  const format = pickFormat(`${what} diff`, values, ["json", "md"] as const);
  const { a, b } = resolvePair(readProjectRuns(io.projectDir), positionals[0], positionals[1]);
  const all = values.all ?? false;
  io.stdout(
    renderDiff(what === "params" ? { a, b, params: diffParams(a, b, { all }) } : { a, b, metrics: diffMetrics(a, b, { all }) }, format),
  );
  return EXIT.ok;
}
