import { createHash } from "node:crypto";
import { InternalError } from "./errors.ts";

/** Bump when what goes into a key, or how artifacts are encoded, changes. */
export const ENGINE_VERSION = "1";

/** JSON with sorted keys and one spelling per value, so equal data gives equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canon(value, "$"));
}

function canon(value: unknown, at: string): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InternalError(`cannot hash ${value} at ${at}`);
    return value === 0 ? 0 : value; // folds -0 into 0
  }
  if (Array.isArray(value)) return value.map((item, i) => canon(item, `${at}[${i}]`));
  if (ArrayBuffer.isView(value)) {
    throw new InternalError(`typed array at ${at}: hash its bytes, not its JSON`);
  }
  if (typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) sorted[key] = canon(item, `${at}.${key}`);
    }
    return sorted;
  }
  throw new InternalError(`cannot hash a ${typeof value} at ${at}`);
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** One seed per stage, so adding or renaming a stage never shifts another stage's stream. */
export function deriveSeed(globalSeed: number, stage: string): number {
  return Number.parseInt(sha256(`${globalSeed}:${stage}`).slice(0, 8), 16);
}
