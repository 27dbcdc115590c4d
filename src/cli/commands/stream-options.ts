/**
 * `pipeline stream`'s flags -> StreamOptions. The delivery settings it shares with the publish
 * stage (url, max points, burst, rate, timeout, retries, backoff, deadline) are that stage's params:
 * their defaults are pipeline.yaml's publish stage's values, else the publish schema's own, and a
 * flag's value is checked by the same zod field, so stream and publish cannot drift apart.
 */
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { z } from "zod";
import { EXIT, PipelineError, UsageError } from "../../core/errors.ts";
import { backoffFrom } from "../../publish/pacing.ts";
import { isDeclared, type DeclaredFile, type MissingFile, type StreamedInput, type StreamSource } from "../../publish/stream-source.ts";
import type { StreamOptions } from "../../publish/stream.ts";
import publishStage from "../../../stages/publish.ts";
import type { CliIO } from "../io.ts";

export type PublishParams = z.output<typeof publishStage.params>;

/** stream flag -> the publish param it sets; every publish param but dry_run (stream has --dry-run) */
export const PUBLISH_FLAGS = {
  url: "url",
  "max-points": "max_points",
  burst: "burst",
  "rate-hz": "rate_hz",
  "timeout-ms": "timeout_ms",
  retries: "retries",
  "backoff-ms": "backoff_ms",
  "deadline-s": "deadline_s",
} as const satisfies Record<string, Exclude<keyof PublishParams, "dry_run">>;

/** The publish schema's defaults: stream's when pipeline.yaml has no publish stage. */
export const PUBLISH_DEFAULTS: PublishParams = publishStage.params.parse({});

export const STREAM_FLAGS = {
  fit: { type: "string" },
  metrics: { type: "string" },
  ...(Object.fromEntries(Object.keys(PUBLISH_FLAGS).map((flag) => [flag, { type: "string" }])) as Record<
    keyof typeof PUBLISH_FLAGS,
    { type: "string" }
  >),
  loop: { type: "boolean" },
  "cycle-pause-s": { type: "string" },
  seed: { type: "string" },
  "dry-run": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export type StreamFlagValues = Partial<Record<Exclude<keyof typeof STREAM_FLAGS, "loop" | "dry-run" | "help">, string>> & {
  loop?: boolean;
  "dry-run"?: boolean;
};

/**
 * The options of one stream: flags first, then pipeline.yaml (`source`, undefined without one),
 * then the publish schema. Relative paths given on the command line resolve against io.cwd.
 */
export function streamOptions(
  values: StreamFlagValues,
  io: Pick<CliIO, "cwd" | "projectDir">,
  source: StreamSource | undefined,
): StreamOptions {
  const base = (source?.publish?.params ?? PUBLISH_DEFAULTS) as PublishParams;
  const setting = <F extends keyof typeof PUBLISH_FLAGS>(flag: F): PublishParams[(typeof PUBLISH_FLAGS)[F]] => {
    const text = values[flag];
    return text === undefined ? base[PUBLISH_FLAGS[flag]] : (parsePublishFlag(flag, text) as PublishParams[(typeof PUBLISH_FLAGS)[F]]);
  };
  const fit = values.fit === undefined ? declared("fit", source, io) : given(values.fit, io);
  const metrics =
    values.metrics !== undefined
      ? given(values.metrics, io)
      : values.fit !== undefined
        ? besideFit(fit, source, io)
        : declared("metrics", source, io);
  return {
    fit,
    metrics,
    url: setting("url"),
    maxPoints: setting("max-points"),
    burst: setting("burst"),
    rateHz: setting("rate-hz"),
    timeoutMs: setting("timeout-ms"),
    retries: setting("retries"),
    backoff: backoffFrom(setting("backoff-ms")),
    deadlineS: setting("deadline-s"),
    loop: values.loop === true,
    cyclePauseS: streamNumber(values["cycle-pause-s"], "cycle-pause-s", 15),
    seed: streamNumber(values.seed, "seed", 0, { integer: true }),
    dryRun: values["dry-run"] === true,
  };
}

/** A flag's value, checked by the publish param's own zod field; the message names the rule. */
export function parsePublishFlag(flag: keyof typeof PUBLISH_FLAGS, text: string): unknown {
  const param = PUBLISH_FLAGS[flag];
  const field = publishStage.params.shape[param] as z.ZodType;
  const value = param === "url" ? text : text.trim() === "" ? Number.NaN : Number(text);
  const parsed = field.safeParse(value);
  if (parsed.success) return parsed.data;
  const example = `for example --${flag} ${PUBLISH_DEFAULTS[param]}`;
  if (param === "url") {
    const protocol = URL.canParse(text) ? new URL(text).protocol : undefined;
    const why =
      protocol && protocol !== "http:" && protocol !== "https:"
        ? `must use http or https, got ${protocol}`
        : `expects an http(s) URL, got ${JSON.stringify(text)}`;
    throw new UsageError(`stream: --url ${why}`, example);
  }
  throw new UsageError(`stream: --${flag} expects ${describeNumberRule(field)}, got ${JSON.stringify(text)}`, example);
}

/** "an integer >= 1 and <= 1000", read from the field's JSON Schema. */
export function describeNumberRule(field: z.ZodType): string {
  const rule = field.toJSONSchema({ io: "input" }) as { type?: string; minimum?: number; exclusiveMinimum?: number; maximum?: number };
  const bounds = [
    rule.exclusiveMinimum !== undefined ? `> ${rule.exclusiveMinimum}` : rule.minimum !== undefined ? `>= ${rule.minimum}` : undefined,
    rule.maximum !== undefined && rule.maximum < Number.MAX_SAFE_INTEGER ? `<= ${rule.maximum}` : undefined,
  ].filter((b): b is string => b !== undefined);
  return `${rule.type === "integer" ? "an integer" : "a number"}${bounds.length > 0 ? ` ${bounds.join(" and ")}` : ""}`;
}

/** Stream's own numbers (not publish params): >= 0. */
function streamNumber(text: string | undefined, flag: string, fallback: number, rule: { integer?: boolean } = {}): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < 0) {
    throw new UsageError(
      `stream: --${flag} expects ${rule.integer ? "an integer" : "a number"} >= 0, got ${JSON.stringify(text)}`,
      `for example --${flag} ${fallback}`,
    );
  }
  return value;
}

function given(text: string, io: Pick<CliIO, "cwd">): DeclaredFile {
  const path = resolve(io.cwd, text);
  return { path, display: displayPath(path, io.cwd) };
}

/** The file pipeline.yaml writes `input` to. */
function declared(input: StreamedInput, source: StreamSource | undefined, io: Pick<CliIO, "cwd" | "projectDir">): DeclaredFile {
  if (!source) {
    throw new UsageError(
      `stream: no pipeline.yaml in ${io.projectDir} to find the ${input} to replay in`,
      "give --fit PATH and --metrics PATH, or run it in the project folder (-C DIR)",
    );
  }
  const file = source.files[input];
  if (!isDeclared(file)) throw missingFileError(file);
  return { path: file.path, display: displayPath(file.path, io.cwd) };
}

/** With --fit and no --metrics: the file of the declared metrics' name next to the given fit (a copied fit travels with its metrics). */
function besideFit(fit: DeclaredFile, source: StreamSource | undefined, io: Pick<CliIO, "cwd">): DeclaredFile {
  const file = source?.files.metrics;
  if (!file || !isDeclared(file)) {
    throw new UsageError(
      `stream: --fit ${fit.display} needs --metrics PATH too: ${file ? file.lack : "there is no pipeline.yaml to name the metrics file"}`,
      "give --metrics PATH",
    );
  }
  return given(join(dirname(fit.path), basename(file.path)), io);
}

function missingFileError(file: MissingFile): PipelineError {
  return new PipelineError(`stream: ${file.lack}`, { code: "E_STREAM_SOURCE", exitCode: EXIT.config, hint: file.hint });
}

/** Relative to where the user is when that is shorter and inside it; absolute otherwise. */
function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}
