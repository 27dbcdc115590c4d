import { UsageError } from "../core/errors.ts";

/**
 * `--set` values with a top-level comma are sweeps: `cluster.k=5,8,12` is three values, while
 * a list value is written in brackets (`classify.train_hosts=[a,b]` is one value, `[a],[b,c]`
 * two). Several swept `--set`s make their grid. Every variant is a list of plain `--set`
 * texts, in the order given, with the swept choices named for the run log.
 */
export interface Variant {
  /** `--set` texts for this variant, one value each */
  readonly sets: readonly string[];
  /** the swept choices: "cluster.k" -> "5" (as typed) */
  readonly choices: Readonly<Record<string, string>>;
}

export function sweepVariants(sets: readonly string[]): Variant[] {
  let variants: Variant[] = [{ sets: [], choices: {} }];
  for (const text of sets) {
    const eq = text.indexOf("=");
    if (eq <= 0)
      throw new UsageError(`--set ${text}: expected STAGE.PARAM=VALUE`, "e.g. --set cluster.k=5, or a sweep: --set cluster.k=5,8,12");
    const name = text.slice(0, eq).trim();
    const values = splitTopLevel(text.slice(eq + 1), text);
    variants = variants.flatMap((v) =>
      values.map((value) => ({
        sets: [...v.sets, `${name}=${value}`],
        choices: values.length > 1 ? { ...v.choices, [name]: value } : v.choices,
      })),
    );
  }
  return variants;
}

/** Splits on commas outside brackets, braces and quotes. */
function splitTopLevel(raw: string, text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      parts.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(raw.slice(start));
  if (parts.length > 1 && parts.some((p) => p.trim() === "")) {
    throw new UsageError(`--set ${text}: a sweep has an empty value`, "list values separated by commas, e.g. --set cluster.k=5,8,12");
  }
  return parts;
}
