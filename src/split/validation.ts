import type { Table } from "../core/artifact.ts";
import { InputError } from "../core/errors.ts";

/** The validation columns a split reads, one entry per episode. */
export interface ValidationRows {
  readonly episodeId: readonly string[];
  readonly hostId: readonly string[];
  readonly profile: readonly string[];
  readonly sampleName: readonly string[];
  readonly status: readonly string[];
}

const COLUMNS = {
  episodeId: "episode_id",
  hostId: "host_id",
  profile: "profile",
  sampleName: "sample_name",
  status: "status",
} as const;

/** Episode statuses whose windows may be trained on and scored (SPEC section 3). */
export const USABLE_STATUSES: ReadonlySet<string> = new Set(["accepted", "degraded"]);

/**
 * Checks that the validation table has the five string columns a split needs and that each
 * episode appears once. `file` names the table in messages (e.g. "validation_v1.parquet").
 */
export function parseValidationTable(table: Table, file: string): ValidationRows {
  const missing = Object.values(COLUMNS).filter((name) => table[name] === undefined);
  if (missing.length > 0) {
    throw new InputError(
      `${file}: missing column${missing.length === 1 ? "" : "s"} ${missing.join(", ")}`,
      `the validation table needs one row per episode with the columns ${Object.values(COLUMNS).join(", ")}`,
    );
  }
  const rows = {} as Record<keyof ValidationRows, readonly string[]>;
  for (const [key, name] of Object.entries(COLUMNS) as [keyof ValidationRows, string][]) {
    rows[key] = _stringColumn(table, name, file);
  }
  _checkUniqueEpisodes(rows.episodeId, file);
  return rows;
}

/** Indices of the rows whose status is accepted or degraded. */
export function usableRows(rows: ValidationRows): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows.status.length; i++) if (USABLE_STATUSES.has(rows.status[i]!)) out.push(i);
  return out;
}

function _stringColumn(table: Table, name: string, file: string): readonly string[] {
  const column = table[name]!;
  if (!Array.isArray(column)) {
    throw new InputError(`${file}: column ${name} is numeric, expected strings`, `write ${name} as a string (utf8) column`);
  }
  const values = column as readonly (string | null)[];
  const nullAt = values.findIndex((v) => typeof v !== "string");
  if (nullAt >= 0) {
    throw new InputError(
      `${file}: column ${name} has a missing value at row ${nullAt}`,
      `fill ${name} for every episode, or drop the rows that lack it`,
    );
  }
  return values as readonly string[];
}

function _checkUniqueEpisodes(episodeIds: readonly string[], file: string): void {
  const seen = new Set<string>();
  for (const id of episodeIds) {
    if (seen.has(id)) {
      throw new InputError(
        `${file}: column episode_id repeats episode ${JSON.stringify(id)}`,
        "keep exactly one validation row per episode",
      );
    }
    seen.add(id);
  }
}
