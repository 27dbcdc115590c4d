/**
 * A command stage (`uses: cmd`) as pipeline.yaml declares it, and the pure steps on it: where
 * each dep and out lives in the command's scratch folder, and the command with `${params.x}`,
 * `${deps.x}` and `${outs.x}` replaced. Running it is src/command/.
 */

/** The kinds a command's outs can have. */
export type CommandKind = "file" | "json";

/** The kinds of stage output a command's deps can read: tables and matrices are written as files for it. */
export type DepKind = CommandKind | "table" | "matrix";

export type CommandDep =
  /** a project file, hashed by content; it appears in the scratch folder at `path` */
  | { readonly kind: "file"; readonly path: string }
  /** another stage's output, written into the scratch folder at `path` */
  | { readonly kind: "ref"; readonly ref: string; readonly as: DepKind; readonly path: string };

export interface CommandSpec {
  /** an argv list (run without a shell) or a shell string (run by /bin/sh -c) */
  readonly cmd: string | readonly string[];
  readonly deps: Readonly<Record<string, CommandDep>>;
  /** `path` is relative to the project and to the scratch folder alike */
  readonly outs: Readonly<Record<string, { readonly path: string; readonly kind: CommandKind }>>;
  /** the params as pipeline.yaml declares them: their types make the params schema (values are keyed as params) */
  readonly declaredParams: Readonly<Record<string, unknown>>;
}

/** Where a ref dep lands when its producer declares no file for it. */
export const REF_DEPS_DIR = ".pipeline/deps";

/** The file a ref dep of this kind is written as: json as JSON, a table as parquet, a matrix as numpy's .npy. */
export const DEP_FILE_EXTENSION: Readonly<Record<DepKind, string>> = { file: "", json: ".json", table: ".parquet", matrix: ".npy" };

/** `${params.x}`, `${deps.x}`, `${outs.x}`: a shell variable cannot hold a dot, so these never clash with one. */
const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z0-9_-]+)\}/g;
const NAMESPACES = ["params", "deps", "outs"] as const;

export type Placeholder = { readonly namespace: string; readonly name: string; readonly text: string };

/** Every `${word.name}` in the command, in order (the loader checks each names something declared). */
export function placeholders(cmd: CommandSpec["cmd"]): Placeholder[] {
  const parts = typeof cmd === "string" ? [cmd] : cmd;
  return parts.flatMap((part) => [...part.matchAll(PLACEHOLDER)].map((m) => ({ namespace: m[1]!, name: m[2]!, text: m[0] })));
}

export function isNamespace(word: string): word is (typeof NAMESPACES)[number] {
  return (NAMESPACES as readonly string[]).includes(word);
}

/** The text a parameter value becomes in a command: strings as they are, numbers and booleans as JSON spells them, lists as JSON. */
export function paramText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** POSIX single quoting; plain words stay as they are so the command still reads well in logs. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_\-.,/:=+@%]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** What the process is started with: an argv (no shell) or a shell script for /bin/sh -c. */
export type Invocation = { readonly argv: readonly string[] } | { readonly shell: string };

/**
 * The command with its placeholders replaced. In a shell string each value is shell-quoted, so
 * a parameter holding spaces or quotes stays one word; in an argv list each value is put into
 * its argument verbatim (there is no shell to split it).
 */
export function interpolate(spec: CommandSpec, params: Readonly<Record<string, unknown>>): Invocation {
  const lookup = (namespace: string, name: string): string | undefined => {
    if (namespace === "params") return name in params ? paramText(params[name]) : undefined;
    if (namespace === "deps") return spec.deps[name]?.path;
    if (namespace === "outs") return spec.outs[name]?.path;
    return undefined;
  };
  const fill = (text: string, quote: (s: string) => string) =>
    text.replace(PLACEHOLDER, (whole, namespace: string, name: string) => {
      const value = lookup(namespace, name);
      return value === undefined ? whole : quote(value);
    });
  if (typeof spec.cmd === "string") return { shell: fill(spec.cmd, shellQuote) };
  return { argv: spec.cmd.map((arg) => fill(arg, (s) => s)) };
}

/** The command as one line for messages. */
export function invocationText(invocation: Invocation): string {
  return "shell" in invocation ? invocation.shell : invocation.argv.map(shellQuote).join(" ");
}

/** The part of the cache key that is the command itself (its params, dep contents and seed are keyed apart). */
export function commandKeyPart(spec: CommandSpec): Record<string, unknown> {
  const deps = Object.fromEntries(
    Object.entries(spec.deps).map(([name, dep]) => [name, dep.kind === "file" ? dep.path : `${dep.ref} at ${dep.path}`]),
  );
  return { cmd: spec.cmd, deps, outs: spec.outs };
}
