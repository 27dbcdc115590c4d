import type { Json } from "./artifact.ts";

/**
 * The finite numbers at dotted `paths` of a json value ("latency.single_window_ms"), under
 * those names; paths that are absent or not numbers are left out (a metric a variant lacks is
 * an empty cell, not an error). For stages' `metrics` declarations.
 */
export function numbersAt(value: Json, paths: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const path of paths) {
    let at: unknown = value;
    for (const part of path.split(".")) at = typeof at === "object" && at !== null ? (at as Record<string, unknown>)[part] : undefined;
    if (typeof at === "number" && Number.isFinite(at)) out[path] = at;
  }
  return out;
}

/** `${prefix}.${name}` -> number for each item of a list of records (per-class scores). */
export function numbersByName(list: unknown, name: string, field: string, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (!Array.isArray(list)) return out;
  for (const item of list as Record<string, unknown>[]) {
    const key = item?.[name];
    const number = item?.[field];
    if (typeof key === "string" && typeof number === "number" && Number.isFinite(number)) out[`${prefix}.${key}`] = number;
  }
  return out;
}

/** `${prefix}.${i}` -> number for each entry of a numeric list (explained ratios per axis). */
export function numbersByIndex(list: unknown, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (!Array.isArray(list)) return out;
  list.forEach((n, i) => {
    if (typeof n === "number" && Number.isFinite(n)) out[`${prefix}.${i}`] = n;
  });
  return out;
}
