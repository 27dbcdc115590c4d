/**
 * A small JSON Schema (draft-07) validator for the tests: no validator is installed, and the
 * project adds no dependency for one. It implements every assertion keyword the generated
 * pipeline.yaml schema uses; SUPPORTED_KEYWORDS lists them, and the schema test checks the
 * schema uses no keyword outside that list, so nothing is silently skipped. `format` is an
 * annotation here, as draft-07 allows.
 */
type Schema = boolean | { [keyword: string]: unknown };

export const SUPPORTED_KEYWORDS = new Set([
  // assertions and applicators
  "$ref",
  "type",
  "const",
  "enum",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "items",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
  "anyOf",
  "allOf",
  "oneOf",
  "not",
  "if",
  "then",
  "else",
  // annotations and structure
  "$schema",
  "$id",
  "title",
  "description",
  "default",
  "examples",
  "definitions",
  "format",
]);

/** Every keyword used anywhere in `schema` (property names under properties/definitions are not keywords). */
export function keywordsOf(schema: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const item of schema) keywordsOf(item, found);
  else if (schema && typeof schema === "object") {
    for (const [key, value] of Object.entries(schema)) {
      found.add(key);
      if (key === "properties" || key === "definitions") for (const sub of Object.values(value as object)) keywordsOf(sub, found);
      else if (key !== "const" && key !== "enum" && key !== "default" && key !== "examples") keywordsOf(value, found);
    }
  }
  return found;
}

/** The problems of `value` against `root` ("path: what"), empty when it is valid. */
export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  check(root, value, "$", root, errors);
  return errors;
}

function check(schema: Schema, value: unknown, at: string, root: Schema, errors: string[]): void {
  if (schema === true) return;
  if (schema === false) {
    errors.push(`${at}: not allowed`);
    return;
  }
  const s = schema;
  if (typeof s.$ref === "string") check(resolveRef(root, s.$ref), value, at, root, errors);
  if (s.type !== undefined && !(Array.isArray(s.type) ? s.type : [s.type]).some((t) => isType(value, t as string))) {
    errors.push(`${at}: expected ${JSON.stringify(s.type)}, got ${JSON.stringify(value)}`);
    return;
  }
  if ("const" in s && !equal(s.const, value)) errors.push(`${at}: expected ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.some((option) => equal(option, value)))
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
  if (typeof value === "number") numberChecks(s, value, at, errors);
  if (typeof value === "string") {
    if (typeof s.minLength === "number" && [...value].length < s.minLength) errors.push(`${at}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === "number" && [...value].length > s.maxLength) errors.push(`${at}: longer than ${s.maxLength}`);
    if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(value)) errors.push(`${at}: does not match ${s.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems) errors.push(`${at}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === "number" && value.length > s.maxItems) errors.push(`${at}: more than ${s.maxItems} items`);
    if (s.items !== undefined) value.forEach((item, i) => check(s.items as Schema, item, `${at}[${i}]`, root, errors));
  }
  if (isType(value, "object")) objectChecks(s, value as Record<string, unknown>, at, root, errors);
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) check(sub as Schema, value, at, root, errors);
  if (Array.isArray(s.anyOf) && !s.anyOf.some((sub) => passes(sub as Schema, value, at, root))) errors.push(`${at}: matches none of anyOf`);
  if (Array.isArray(s.oneOf) && s.oneOf.filter((sub) => passes(sub as Schema, value, at, root)).length !== 1)
    errors.push(`${at}: does not match exactly one of oneOf`);
  if (s.not !== undefined && passes(s.not as Schema, value, at, root)) errors.push(`${at}: matches "not"`);
  if (s.if !== undefined) {
    const branch = passes(s.if as Schema, value, at, root) ? s.then : s.else;
    if (branch !== undefined) check(branch as Schema, value, at, root, errors);
  }
}

function objectChecks(s: { [k: string]: unknown }, value: Record<string, unknown>, at: string, root: Schema, errors: string[]): void {
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  for (const key of (s.required ?? []) as string[]) if (!(key in value)) errors.push(`${at}: missing required "${key}"`);
  for (const [key, item] of Object.entries(value)) {
    if (s.propertyNames !== undefined) check(s.propertyNames as Schema, key, `${at} key "${key}"`, root, errors);
    if (key in properties) check(properties[key]!, item, `${at}.${key}`, root, errors);
    else if (s.additionalProperties !== undefined) check(s.additionalProperties as Schema, item, `${at}.${key}`, root, errors);
  }
}

function numberChecks(s: { [k: string]: unknown }, value: number, at: string, errors: string[]): void {
  if (typeof s.minimum === "number" && value < s.minimum) errors.push(`${at}: below ${s.minimum}`);
  if (typeof s.maximum === "number" && value > s.maximum) errors.push(`${at}: above ${s.maximum}`);
  if (typeof s.exclusiveMinimum === "number" && value <= s.exclusiveMinimum) errors.push(`${at}: not above ${s.exclusiveMinimum}`);
  if (typeof s.exclusiveMaximum === "number" && value >= s.exclusiveMaximum) errors.push(`${at}: not below ${s.exclusiveMaximum}`);
}

function passes(schema: Schema, value: unknown, at: string, root: Schema): boolean {
  const errors: string[] = [];
  check(schema, value, at, root, errors);
  return errors.length === 0;
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith("#")) throw new Error(`only local $refs are supported, got ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(1).split("/").filter(Boolean)) {
    node = (node as Record<string, unknown>)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    if (node === undefined) throw new Error(`$ref ${ref} points at nothing`);
  }
  return node as Schema;
}

function isType(value: unknown, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "boolean":
      return typeof value === "boolean";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return Number.isInteger(value);
    case "string":
      return typeof value === "string";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      throw new Error(`unknown JSON Schema type ${type}`);
  }
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
