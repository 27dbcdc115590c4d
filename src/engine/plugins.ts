/**
 * A project's plugin modules (pipeline.yaml `plugins:`): importing one, finding the stages it
 * exports and checking each is a stage definition. Every fault is the user's to fix, so each
 * becomes a ConfigError (exit 3) that names the file, the line when there is one, and the fix.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { register } from "node:module";
import { extname, isAbsolute, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import { STAGE_NAME } from "../config/schema.ts";
import { ConfigError, describeError } from "../core/errors.ts";
import { compiledUrl } from "../core/paths.ts";
import type { AnyStage } from "../core/stage.ts";
import { localModules } from "./fingerprint.ts";

const INPUT_KINDS = ["matrix", "table", "json", "file", "path"];
const OUTPUT_KINDS = ["matrix", "table", "json", "file"];
/** What pipeline.yaml's `stage.output` references can name (config/load.ts parseRef). */
const OUTPUT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const IMPORTS_PIPELINE = /(?:\bfrom|\bimport)\s*\(?\s*["']pipeline["']/;
const API_HINT = 'import { defineStage, slot, z } from "pipeline"';

/** The stage definitions `file` exports (default export and/or `export const stages = [...]`), checked. */
export async function loadPluginStages(file: string, projectDir: string): Promise<AnyStage[]> {
  const shown = displayPath(file, projectDir);
  if (!existsSync(file)) {
    throw new ConfigError("pipeline.yaml", [`plugins: ${shown} does not exist`], {
      hint: "fix the path under `plugins:` (relative to pipeline.yaml)",
    });
  }
  refuseUnloadableTypeScript(file, shown);
  if (localModules(file).some((f) => IMPORTS_PIPELINE.test(readFileSync(f, "utf8")))) resolvePipelineFromPlugins();
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw loadFailure(error, file, projectDir);
  }
  if (mod.stages !== undefined && !Array.isArray(mod.stages)) {
    throw new ConfigError(`plugin ${shown}`, [`exports \`stages\` as ${describeValue(mod.stages)}, not an array`], {
      hint: "`export const stages = [stageA, stageB]`",
    });
  }
  const defs = exportedStages(mod);
  if (defs.length === 0) {
    const named = Object.keys(mod).filter((key) => key !== "default" && looksLikeStage(mod[key]));
    const found = named.length > 0 ? ` (${named.map((n) => `\`${n}\``).join(", ")} look${named.length === 1 ? "s" : ""} like one)` : "";
    throw new ConfigError(`plugin ${shown}`, [`exports no stages${found}`], {
      hint: "`export default defineStage({...})`, or `export const stages = [stageA, stageB]`",
    });
  }
  const issues: string[] = [];
  const stages = defs.map((def, i) => checkStage(def, defs.length > 1 ? `stage ${i + 1}` : "the stage", issues));
  if (issues.length > 0) throw new ConfigError(`plugin ${shown}`, issues, { hint: `fix the stage definitions listed above (${API_HINT})` });
  return stages;
}

/** How a plugin file is named in messages: relative to the project when inside it. */
export function displayPath(file: string, projectDir: string): string {
  const rel = relative(projectDir, file);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

function refuseUnloadableTypeScript(file: string, shown: string): void {
  const typescript = (process.features as { typescript?: string | false }).typescript;
  if (![".ts", ".mts", ".cts"].includes(extname(file)) || typescript) return;
  throw new ConfigError(`plugin ${shown}`, [`is TypeScript, which Node ${process.version} cannot import without a build step`], {
    hint:
      `compile it to JavaScript (e.g. \`npx tsc ${shown} --module nodenext --outDir plugins-js\`) and list the .js file under ` +
      "`plugins:`; Node 22.18 and newer import .ts files themselves",
  });
}

let hooked = false;

/** Once per thread (worker threads do not inherit hooks in Node 20): "pipeline" resolves to this pipeline's API. */
function resolvePipelineFromPlugins(): void {
  if (hooked) return;
  hooked = true;
  const hooks = compiledUrl(import.meta.url, "./plugin-hooks.js");
  register(hooks, { data: { apiUrl: compiledUrl(import.meta.url, "../api.js").href } });
}

function exportedStages(mod: Record<string, unknown>): unknown[] {
  const listed = [mod.stages ?? [], mod.default ?? []].flat();
  return [...new Set(listed)];
}

function looksLikeStage(value: unknown): boolean {
  return typeof value === "object" && value !== null && "name" in value && "run" in value;
}

/** The definition with defaults for what a plugin may leave out; problems go to `issues`. */
function checkStage(value: unknown, label: string, issues: string[]): AnyStage {
  if (!looksLikeStage(value) && (typeof value !== "object" || value === null)) {
    issues.push(
      `${label} is not a stage definition (got ${describeValue(value)}); wrap it in defineStage({ name, params, inputs, outputs, run })`,
    );
    return value as AnyStage;
  }
  const def = value as Partial<Record<keyof AnyStage, unknown>>;
  const name = typeof def.name === "string" ? def.name : undefined;
  const at = name ? `stage "${name}"` : label;
  if (name === undefined) issues.push(`${label} has no name: give it \`name: "my-stage"\` (what \`uses:\` in pipeline.yaml names)`);
  else if (!STAGE_NAME.test(name)) issues.push(`${at}: the name must be lower-case letters, digits, - or _, starting with a letter`);
  if (def.version !== undefined && (typeof def.version !== "string" || def.version === "")) {
    issues.push(`${at}: version must be a non-empty string such as "2" (bump it to rerun the stage without a code change)`);
  }
  if (def.summary !== undefined && typeof def.summary !== "string") issues.push(`${at}: summary must be a string`);
  if (def.params !== undefined) checkParams(def.params, at, issues);
  checkSlots(def.inputs, "inputs", INPUT_KINDS, at, issues);
  checkSlots(def.outputs, "outputs", OUTPUT_KINDS, at, issues);
  if (typeof def.run !== "function") issues.push(`${at}: run must be a function, \`run({ params, inputs }) { return { ...outputs } }\``);
  if (def.effect !== undefined && typeof def.effect !== "boolean") issues.push(`${at}: effect must be true or false`);
  return {
    ...(def as AnyStage),
    version: (def.version as string | undefined) ?? "1",
    summary: (def.summary as string | undefined) ?? "",
    params: strictParams(def.params) ?? z.strictObject({}),
    inputs: (def.inputs as AnyStage["inputs"] | undefined) ?? {},
    outputs: (def.outputs as AnyStage["outputs"] | undefined) ?? {},
  };
}

/**
 * A plugin's `z.object` refuses unknown parameters, as every built-in stage's does: a typo in
 * pipeline.yaml or `--set` must be an error, not a parameter silently dropped. An object
 * declared `.loose()`/`.catchall()` keeps what it asked for.
 */
function strictParams(params: unknown): z.ZodType | undefined {
  const def = (params as { _zod?: { def?: { type?: string; catchall?: unknown } } } | undefined)?._zod?.def;
  if (def?.type === "object" && def.catchall === undefined) return (params as z.ZodObject).strict();
  return params as z.ZodType | undefined;
}

function checkParams(params: unknown, at: string, issues: string[]): void {
  const zod4 = (params as { _zod?: { def?: { type?: string } } } | null)?._zod;
  if (zod4?.def?.type === "object") return;
  const fix = `write \`params: z.object({ k: z.number().default(5).describe("...") })\` with ${API_HINT}`;
  if (zod4) issues.push(`${at}: params is a zod ${zod4.def?.type ?? "schema"}, not an object schema; ${fix}`);
  else if (typeof params === "object" && params !== null && "_def" in params) {
    issues.push(`${at}: params is a zod 3 schema; pipeline needs zod 4: ${API_HINT} (z is zod 4)`);
  } else issues.push(`${at}: params is not a zod schema (got ${describeValue(params)}); ${fix}`);
}

function checkSlots(slots: unknown, field: "inputs" | "outputs", kinds: readonly string[], at: string, issues: string[]): void {
  if (slots === undefined) return;
  const example = field === "inputs" ? 'inputs: { fit: slot.file("the fit parquet") }' : 'outputs: { plot: slot.file("a PNG") }';
  if (typeof slots !== "object" || slots === null || Array.isArray(slots)) {
    issues.push(`${at}: ${field} must be an object of slots, e.g. \`${example}\``);
    return;
  }
  for (const [slotName, spec] of Object.entries(slots)) {
    const kind = (spec as { kind?: unknown } | null)?.kind;
    if (typeof kind !== "string" || !kinds.includes(kind)) {
      issues.push(`${at}: ${field}.${slotName} must be a slot: slot.${kinds.join("|slot.")}("what it holds"), e.g. \`${example}\``);
    } else if (field === "outputs" && !OUTPUT_NAME.test(slotName)) {
      issues.push(`${at}: output "${slotName}" cannot be named in pipeline.yaml's stage.output; use letters, digits and _`);
    }
  }
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return Object.getPrototypeOf(value) === Object.prototype ? "a plain object" : "an object";
  return typeof value === "function" ? "a function" : `a ${typeof value}`;
}

/** An import that failed, as the user's problem: which file, which line, what to do. */
function loadFailure(error: unknown, file: string, projectDir: string): ConfigError {
  const shown = displayPath(file, projectDir);
  const where = (path: string) => displayPath(path.startsWith("file:") ? fileURLToPath(path) : path, projectDir);
  const err = error as NodeJS.ErrnoException;
  if (err instanceof SyntaxError) {
    const found = syntaxErrorIn(localModules(file), where);
    return new ConfigError(`plugin ${shown}`, [found ?? `cannot be loaded: ${err.message}`], {
      hint: "fix the code at the line shown; `node --check FILE` checks a file's syntax",
    });
  }
  if (err?.code === "ERR_MODULE_NOT_FOUND") {
    const missing = /Cannot find (package|module) '([^']+)' imported from (\S+)/.exec(err.message);
    if (missing?.[1] === "package") {
      const pkg = missing[2]!;
      const hint =
        pkg === "zod"
          ? `import z from pipeline instead (${API_HINT}); it is zod 4, so no separate install is needed`
          : pkg === "pipeline"
            ? `${API_HINT}; deep imports such as pipeline/dist/... are not part of the API`
            : `install it in the project (\`npm install ${pkg}\` next to pipeline.yaml)`;
      return new ConfigError(
        `plugin ${shown}`,
        [`${where(missing[3]!)} imports package "${pkg}", which is not installed where it can find it`],
        { hint },
      );
    }
    if (missing) {
      return new ConfigError(`plugin ${shown}`, [`${where(missing[3]!)} imports ${where(missing[2]!)}, which does not exist`], {
        hint: "fix the import path; ES modules need the file's extension (./helper.mjs)",
      });
    }
  }
  if (err?.code === "ERR_PACKAGE_PATH_NOT_EXPORTED" && /pipeline/.test(err.message)) {
    return new ConfigError(`plugin ${shown}`, [`imports a path inside pipeline that is not its API: ${err.message}`], {
      hint: `${API_HINT}; deep imports such as pipeline/dist/... are not part of the API`,
    });
  }
  if (typeof err?.code === "string" && err.code.startsWith("ERR_")) {
    return new ConfigError(`plugin ${shown}`, [`cannot be loaded: ${err.message} (${err.code})`], { hint: "fix the import named above" });
  }
  const frame = new RegExp(`(file://[^\\s)]+|${escapeRegExp(projectDir)}[^\\s):]*):(\\d+):(\\d+)`).exec(String(err?.stack ?? ""));
  const at = frame ? ` (at ${where(frame[1]!)}:${frame[2]}:${frame[3]})` : "";
  return new ConfigError(`plugin ${shown}`, [`threw while being imported${at}: ${describeError(error)}`], {
    hint: "importing a plugin should only define its stages; do the work inside run()",
  });
}

/**
 * Node 20's SyntaxError from import() names no file or line; `node --check` on each module the
 * plugin reaches finds which one and where (this only runs when loading already failed).
 */
function syntaxErrorIn(files: readonly string[], where: (path: string) => string): string | undefined {
  for (const file of files.filter((f) => /\.[cm]?js$/.test(f))) {
    const checked = spawnSync(process.execPath, ["--check", file], { encoding: "utf8" });
    if (checked.status === 0) continue;
    const lines = checked.stderr.split("\n");
    const line = /:(\d+)$/.exec(lines[0] ?? "")?.[1];
    const message = lines.find((l) => l.startsWith("SyntaxError")) ?? "SyntaxError";
    const code = lines[1] && /^\s*\^+$/.test(lines[2] ?? "") ? `\n      ${lines[1]}\n      ${lines[2]}` : "";
    return `syntax error at ${where(file)}${line ? `:${line}` : ""}: ${message.replace(/^SyntaxError: /, "")}${code}`;
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
