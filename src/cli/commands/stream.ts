import { dirname, isAbsolute, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../../core/errors.ts";
import { DEFAULT_PUBLISH_URL } from "../../publish/report.ts";
import { runStream, type StreamOptions } from "../../publish/stream.ts";
import { describeParseError } from "../args.ts";
import type { CliIO, Command } from "../io.ts";

const DEFAULT_FIT = "data/processed/knn_v1.parquet";

export const STREAM_HELP = `usage: pipeline stream [options]

Replay a written fit to the dashboard: each cycle sends model_metric and model_perf (from the
metrics file), then a seeded sample of the fit's points, one JSON event per POST.

options:
  --fit PATH            fit parquet (default ${DEFAULT_FIT} in the project)
  --metrics PATH        evaluate's metrics (default metrics_v1.json next to the fit)
  --url URL             dashboard endpoint (default ${DEFAULT_PUBLISH_URL})
  --max-points N        points per cycle, 0 = all rows (default 2000)
  --burst N             most requests in flight (default 50)
  --rate-hz N           most events per second, 0 = no cap (default 2000)
  --timeout-ms N        per request (default 5000)
  --retries N           further attempts per event on connection errors, 5xx, 429 (default 3)
  --deadline-s S        each cycle ends after S seconds: requests in flight are aborted and
                        undelivered events fail (default 60)
  --loop                keep cycling; undelivered events are then warnings, not an error
  --cycle-pause-s S     pause between cycles with --loop (default 15)
  --seed N              seed of the point sample (default 0)
  --dry-run             send nothing; print what one cycle would send
  -h, --help            show this help

SIGINT/SIGTERM stops after in-flight requests settle (exit 0); a second signal forces exit 130.
exit codes: 0 ok, 1 unreadable fit or metrics, 2 bad usage, 4 events not delivered (without --loop)`;

const FLAGS = {
  fit: { type: "string" },
  metrics: { type: "string" },
  url: { type: "string" },
  "max-points": { type: "string" },
  burst: { type: "string" },
  "rate-hz": { type: "string" },
  "timeout-ms": { type: "string" },
  retries: { type: "string" },
  "deadline-s": { type: "string" },
  loop: { type: "boolean" },
  "cycle-pause-s": { type: "string" },
  seed: { type: "string" },
  "dry-run": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** `pipeline stream`: see STREAM_HELP. */
export const streamCommand: Command = async (argv, io) => {
  const options = parseStreamArgs(argv, io);
  if (options === "help") {
    io.stdout(STREAM_HELP);
    return 0;
  }
  await runStream(options, io, io.signal);
  return 0;
};

/** Flags → options; relative paths given on the command line resolve against io.cwd. */
export function parseStreamArgs(argv: readonly string[], io: Pick<CliIO, "cwd" | "projectDir">): StreamOptions | "help" {
  let values: ReturnType<typeof parseFlags>;
  try {
    values = parseFlags(argv);
  } catch (error) {
    throw new UsageError(`stream: ${describeParseError(error, FLAGS)}`, "run `pipeline stream --help`");
  }
  if (values.help) return "help";
  const fitPath = values.fit === undefined ? resolve(io.projectDir, DEFAULT_FIT) : resolve(io.cwd, values.fit);
  const metricsPath = values.metrics === undefined ? resolve(dirname(fitPath), "metrics_v1.json") : resolve(io.cwd, values.metrics);
  return {
    fit: { path: fitPath, display: displayPath(fitPath, io.cwd) },
    metrics: { path: metricsPath, display: displayPath(metricsPath, io.cwd) },
    url: parseUrl(values.url ?? DEFAULT_PUBLISH_URL),
    maxPoints: parseNumber(values["max-points"], "max-points", 2000, { integer: true, min: 0 }),
    burst: parseNumber(values.burst, "burst", 50, { integer: true, min: 1 }),
    rateHz: parseNumber(values["rate-hz"], "rate-hz", 2000, { min: 0 }),
    timeoutMs: parseNumber(values["timeout-ms"], "timeout-ms", 5000, { integer: true, min: 1 }),
    retries: parseNumber(values.retries, "retries", 3, { integer: true, min: 0 }),
    deadlineS: parseNumber(values["deadline-s"], "deadline-s", 60, { min: 0, exclusive: true }),
    loop: values.loop === true,
    cyclePauseS: parseNumber(values["cycle-pause-s"], "cycle-pause-s", 15, { min: 0 }),
    seed: parseNumber(values.seed, "seed", 0, { integer: true, min: 0 }),
    dryRun: values["dry-run"] === true,
  };
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
}

/** `rule.exclusive`: the value must be above `min`, not equal to it. */
function parseNumber(text: string | undefined, flag: string, fallback: number, rule: { integer?: boolean; min: number; exclusive?: boolean }): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  const kind = rule.integer ? "an integer" : "a number";
  const tooSmall = rule.exclusive ? value <= rule.min : value < rule.min;
  if (text.trim() === "" || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || tooSmall) {
    const bound = `${rule.exclusive ? ">" : ">="} ${rule.min}`;
    throw new UsageError(`stream: --${flag} expects ${kind} ${bound}, got ${JSON.stringify(text)}`, `for example --${flag} ${fallback}`);
  }
  return value;
}

function parseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`stream: --url expects an http(s) URL, got ${JSON.stringify(text)}`, `for example --url ${DEFAULT_PUBLISH_URL}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`stream: --url must use http or https, got ${url.protocol}`, `for example --url ${DEFAULT_PUBLISH_URL}`);
  }
  return url.href;
}

/** Relative to where the user is when that is shorter and inside it; absolute otherwise. */
function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}
