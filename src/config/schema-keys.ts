import type { z } from "zod";

interface DefLike {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
}

const _def = (schema: z.ZodType): DefLike => (schema as unknown as { _zod: { def: DefLike } })._zod.def;

/** Wrappers that keep the shape of what they wrap: optional, nullable, default, a pipe's input... */
function _unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = _def(current);
    const inner = def.type === "pipe" ? def.in : def.innerType;
    if (!inner) return current;
    current = inner;
  }
}

/**
 * The keys an object schema accepts at `path` inside `schema` (record values and array items
 * are walked through), or undefined when no object schema is there: what an "unrecognized key"
 * error can offer instead.
 */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let current = _unwrap(schema);
  for (const step of path) {
    const def = _def(current);
    const next =
      def.type === "object"
        ? def.shape?.[String(step)]
        : def.type === "record"
          ? def.valueType
          : def.type === "array"
            ? def.element
            : undefined;
    if (!next) return undefined;
    current = _unwrap(next);
  }
  const def = _def(current);
  return def.type === "object" && def.shape ? Object.keys(def.shape) : undefined;
}
