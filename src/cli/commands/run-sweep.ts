import { sweepVariants } from "../../config/sweep.ts";
import { EXIT } from "../../core/errors.ts";
import type { StageWorkers } from "../../engine/run-worker.ts";
import type { CliIO } from "../io.ts";
import type { RunFlags } from "./run.ts";
import { runWith } from "./run-session.ts";

/**
 * `pipeline run`, once or once per variant of a sweep: a top-level comma in a `--set` value
 * makes a grid, run one variant after another, each a recorded run that shares every cached
 * stage it can. A failing variant does not stop the others unless --fail-fast.
 */
export async function runSweep(
  workers: StageWorkers | undefined,
  argv: readonly string[],
  values: RunFlags,
  positionals: string[],
  io: CliIO,
): Promise<number> {
  const variants = sweepVariants(values.set ?? []);
  if (variants.length === 1) return runWith(workers, argv, { ...values, set: [...variants[0]!.sets] }, positionals, io);
  const log = values.json ? io.stderr : io.stdout;
  const summaries: { variant: Record<string, string>; exitCode: number }[] = [];
  for (const [i, variant] of variants.entries()) {
    const label = Object.entries(variant.choices)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    log(`variant ${i + 1}/${variants.length}: ${label}`);
    const exitCode = await runWith(workers, argv, { ...values, set: [...variant.sets] }, positionals, io, variant.choices);
    summaries.push({ variant: variant.choices, exitCode });
    if (exitCode === EXIT.interrupted || io.signal.aborted) return EXIT.interrupted;
    if (exitCode !== EXIT.ok && values["fail-fast"]) break;
  }
  const failed = summaries.filter((s) => s.exitCode !== EXIT.ok).length;
  const stopped = summaries.length < variants.length ? " (stopped at the first failure: --fail-fast)" : "";
  log(`sweep: ${summaries.length - failed} of ${variants.length} variants ok${stopped}; \`pipeline exp show\` compares them`);
  if (values.json)
    io.stdout(
      JSON.stringify({
        ok: failed === 0 && summaries.length === variants.length,
        variants: summaries.map((s) => ({ variant: s.variant, exit_code: s.exitCode })),
      }),
    );
  return failed === 0 ? EXIT.ok : summaries.find((s) => s.exitCode !== EXIT.ok)!.exitCode;
}
