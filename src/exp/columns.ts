/**
 * `exp show --keep/--drop`: which parameter and metric columns a table shows, chosen by glob
 * patterns over the column names, as DVC's `exp show --keep/--drop` (which take regexes).
 *
 * A pattern is a glob (`*` any characters, dots included; `?` one character) that matches a
 * column's whole name or its ending after a dot, as --sort-by does: `evaluate.*` every evaluate
 * metric, `inertia` cluster.inertia, `f1.*` each per-phase F1. --drop hides the columns it
 * matches; --keep shows a column whatever --drop says (and a parameter that does not differ
 * between the runs); --keep alone shows only the columns it matches.
 */
import { UsageError } from "../core/errors.ts";

export interface ColumnSelection {
  /** the table shows the column (a parameter column also needs to differ, unless `kept` or --all-params) */
  shows(column: string): boolean;
  /** a --keep pattern names the column: shown even when its values are all the same */
  kept(column: string): boolean;
}

/**
 * The selection `keep` and `drop` make over `columns` (every parameter and metric column of the
 * runs). A pattern that matches none of them is a usage error listing them, so a typo never
 * silently empties the table. With no runs there is nothing to check against.
 */
export function selectColumns(keep: readonly string[], drop: readonly string[], columns: readonly string[]): ColumnSelection {
  const keepers = keep.map((p) => ({ text: p, test: globTest(p) }));
  const droppers = drop.map((p) => ({ text: p, test: globTest(p) }));
  if (columns.length > 0) {
    for (const [flag, patterns] of [
      ["--keep", keepers],
      ["--drop", droppers],
    ] as const) {
      const idle = patterns.find((p) => !columns.some(p.test));
      if (idle) {
        throw new UsageError(
          `exp show ${flag} ${idle.text}: matches no parameter or metric column`,
          `patterns are globs over column names, such as evaluate.* or cluster.inertia; the columns are ${columns.join(", ")}`,
        );
      }
    }
  }
  const kept = (column: string) => keepers.some((p) => p.test(column));
  const dropped = (column: string) => droppers.some((p) => p.test(column));
  const keepOnly = keepers.length > 0 && droppers.length === 0;
  return { kept, shows: (column) => kept(column) || (!keepOnly && !dropped(column)) };
}

/** Repeated flags and comma-separated lists alike: `--keep a,b --keep c` -> [a, b, c]. */
export function splitPatterns(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(","))
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/** Whether a column's whole name, or its ending after one of its dots, matches the glob. */
export function globTest(pattern: string): (column: string) => boolean {
  const source = [...pattern].map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("");
  const whole = new RegExp(`^${source}$`);
  return (column) => {
    if (whole.test(column)) return true;
    for (let dot = column.indexOf("."); dot >= 0; dot = column.indexOf(".", dot + 1)) {
      if (whole.test(column.slice(dot + 1))) return true;
    }
    return false;
  };
}
