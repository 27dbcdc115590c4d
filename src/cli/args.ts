import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../core/errors.ts";
import { didYouMeanTail } from "../core/suggest.ts";

/** node:util parseArgs, with its errors turned into usage errors that name the command's help. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig["options"]>>(
  command: string,
  argv: readonly string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(`${command}: ${describeParseError(error, options)}`, `see \`pipeline ${command} --help\``);
  }
}

/** node:util's message; an unknown option is named with the option it may be a typo of. */
export function describeParseError(error: unknown, options: NonNullable<ParseArgsConfig["options"]>): string {
  const { code, message } = error as { code?: string; message: string };
  const typed = code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /'(--?[^'=]+)/.exec(message)?.[1] : undefined;
  if (typed === undefined) return message;
  const flags = Object.entries(options).flatMap(([name, option]) => [`--${name}`, ...(option.short ? [`-${option.short}`] : [])]);
  // compared without the dashes, so `-dry-run` and `--dryrun` both find --dry-run
  const bare = (flag: string) => flag.replace(/^--?/, "");
  const byBare = new Map(flags.map((flag) => [bare(flag), flag]));
  return `Unknown option '${typed}'${didYouMeanTail(bare(typed), byBare.keys(), (near) => byBare.get(near)!)}`;
}

export function positiveInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive whole number, got "${value}"`);
  return n;
}
