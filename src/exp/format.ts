import { canonicalJson } from "../core/hash.ts";

/** What a text or markdown cell shows for a value the run does not have. */
export const MISSING = "-";

/**
 * A number for people: integers whole, others to at most 4 decimals, and below 1 to 4
 * significant digits (0.000012345 -> 0.00001234), trailing zeros dropped.
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  const rounded = Math.abs(value) >= 1 ? Number(value.toFixed(4)) : Number(value.toPrecision(4));
  return String(rounded);
}

/** A cell for people: numbers as formatNumber, strings as they are, anything else as canonical JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return MISSING;
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return value;
  return canonicalJson(value);
}

/** A cell for machines (csv): full precision, strings as they are, anything else as canonical JSON. */
export function exactValue(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return value;
  return canonicalJson(value);
}

/** A run's start time as "YYYY-MM-DD HH:MM:SS" (UTC, as recorded). */
export function formatWhen(iso: string): string {
  return iso.length >= 19 ? iso.slice(0, 19).replace("T", " ") : iso;
}
