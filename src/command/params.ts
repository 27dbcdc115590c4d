import { z } from "zod";

type Scalar = string | number | boolean | null;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** Why a declared command parameter cannot be one (a map), or undefined. */
export function paramValueProblem(value: unknown): string | undefined {
  const isScalar = (v: unknown) => v === null || ["string", "number", "boolean"].includes(typeof v);
  if (isScalar(value) || (Array.isArray(value) && value.every(isScalar))) return undefined;
  return "a command parameter is a string, number, boolean, null or a list of those";
}

/**
 * The params schema of a command stage, from its params as pipeline.yaml declares them: each
 * keeps the type of its declared value, so `--set STAGE.PARAM=VALUE` is checked like a built-in
 * stage's parameter and a misspelt name is refused. A string parameter also takes a number or
 * boolean (`--set plot.title=2024` reads 2024 as a number) as its text.
 */
export function commandParamsSchema(declared: Readonly<Record<string, unknown>>): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, value] of Object.entries(declared)) {
    const doc = `command parameter; pipeline.yaml sets ${JSON.stringify(value)}`;
    shape[name] = schemaLike(value as Scalar | Scalar[]).describe(doc);
  }
  return z.strictObject(shape);
}

function schemaLike(value: Scalar | Scalar[]): z.ZodType {
  if (Array.isArray(value)) return z.array(scalar);
  if (typeof value === "number") return z.number();
  if (typeof value === "boolean") return z.boolean();
  if (typeof value === "string") return z.union([z.string(), z.number().transform(String), z.boolean().transform(String)]);
  return scalar;
}
