import { parse as parseYamlValue } from "yaml";
import { UsageError } from "../core/errors.ts";
import { didYouMeanTail } from "../core/suggest.ts";

export interface Override {
  /** as the user typed it, for messages */
  readonly text: string;
  /** `seed` or [stage, param] */
  readonly path: readonly string[];
  readonly value: unknown;
}

/**
 * Parses `--set stage.param=value` (or `--set seed=N`). The value is read as a YAML scalar or
 * flow collection, so `--set classify.train_hosts=[a,b]` and `--set load.max_rows=null` work.
 */
export function parseOverride(text: string): Override {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new UsageError(`--set ${text}: expected STAGE.PARAM=VALUE`, "e.g. --set cluster.k=5");
  const lhs = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = parseYamlValue(raw);
  } catch {
    value = raw;
  }
  if (lhs === "seed") return { text, path: ["seed"], value };
  const dot = lhs.indexOf(".");
  if (dot <= 0 || dot === lhs.length - 1) {
    const tail = dot < 0 ? didYouMeanTail(lhs, ["seed"], (seed) => `${seed}=${raw}`) : "";
    throw new UsageError(`--set ${text}: expected STAGE.PARAM=VALUE${tail}`, "e.g. --set cluster.k=5 or --set seed=3");
  }
  return { text, path: [lhs.slice(0, dot), lhs.slice(dot + 1)], value };
}
