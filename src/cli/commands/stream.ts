import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PIPELINE_FILE } from "../../config/load.ts";
import { UsageError } from "../../core/errors.ts";
import { streamSource, type StreamSource } from "../../publish/stream-source.ts";
import { runStream } from "../../publish/stream.ts";
import { describeParseError } from "../args.ts";
import type { Command } from "../io.ts";
import { openProject } from "../project.ts";
import { PUBLISH_DEFAULTS as D, STREAM_FLAGS, streamOptions, type StreamFlagValues } from "./stream-options.ts";

export const STREAM_HELP = `usage: pipeline stream [options]

Replay a written fit to the dashboard: each cycle sends model_metric and model_perf (from the
metrics file), then a seeded sample of the fit's points, one JSON event per POST.

What it replays and how are pipeline.yaml's publish stage's: the files its fit and metrics
inputs are written to, and its params (the defaults shown are the publish stage's own, for the
params the yaml leaves unset or when it has no publish stage).

options:
  --fit PATH            fit parquet (default: the file publish's fit input is written to)
  --metrics PATH        evaluate's metrics (default: the file publish's metrics input is written
                        to; with --fit, the file of that name next to the fit)
  --url URL             dashboard endpoint (default ${D.url})
  --max-points N        points per cycle, 0 = all rows (default ${D.max_points})
  --burst N             most requests in flight (default ${D.burst})
  --rate-hz N           most events per second, 0 = no cap (default ${D.rate_hz})
  --timeout-ms N        per request (default ${D.timeout_ms})
  --retries N           further attempts per event on connection errors, 5xx, 429 (default ${D.retries})
  --backoff-ms N        first retry waits about this long, each further one doubles it (default ${D.backoff_ms})
  --deadline-s S        each cycle ends after S seconds: requests in flight are aborted and
                        undelivered events fail (default ${D.deadline_s})
  --loop                keep cycling; undelivered events are then warnings, not an error
  --cycle-pause-s S     pause between cycles with --loop (default 15)
  --seed N              seed of the point sample (default 0)
  --dry-run             send nothing; print what one cycle would send
  -h, --help            show this help

SIGINT/SIGTERM stops after in-flight requests settle (exit 0); a second signal forces exit 130.
exit codes: 0 ok, 1 unreadable fit or metrics, 2 bad usage, 3 pipeline.yaml names no file to
replay, 4 events not delivered (without --loop)`;

/** `pipeline stream`: see STREAM_HELP. */
export const streamCommand: Command = async (argv, io) => {
  const values = parseStreamFlags(argv);
  if (values.help) {
    io.stdout(STREAM_HELP);
    return 0;
  }
  const source = await readStreamSource(io.projectDir, (m) => io.stderr(`warning: ${m}`));
  await runStream(streamOptions(values, io, source), io, io.signal);
  return 0;
};

export function parseStreamFlags(argv: readonly string[]): StreamFlagValues & { help?: boolean } {
  try {
    return parseArgs({ args: [...argv], options: STREAM_FLAGS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`stream: ${describeParseError(error, STREAM_FLAGS)}`, "run `pipeline stream --help`");
  }
}

/** pipeline.yaml's publish stage and the files it reads; undefined when the folder has no pipeline.yaml. */
async function readStreamSource(dir: string, warn: (m: string) => void): Promise<StreamSource | undefined> {
  if (!existsSync(join(dir, PIPELINE_FILE))) return undefined;
  return streamSource((await openProject(dir, [], warn)).pipeline);
}
