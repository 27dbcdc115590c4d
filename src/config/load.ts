import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isMap, isScalar, isSeq, type Document, type LineCounter } from "yaml";
import type { z } from "zod";
import { ConfigError, UsageError } from "../core/errors.ts";
import { listByOrigin, originOf, type StageOrigin } from "../core/stage-origin.ts";
import { didYouMeanTail } from "../core/suggest.ts";
import { topoOrder, type InputBinding, type OutputBinding, type ResolvedPipeline, type ResolvedStage } from "../core/graph.ts";
import type { AnyStage } from "../core/stage.ts";
import type { Override } from "./overrides.ts";
import { pipelineFileSchema, STAGE_NAME, type StageEntry } from "./schema.ts";
import { keysAt } from "./schema-keys.ts";
import { COMMAND_STAGE } from "../command/stage.ts";
import { declaredOutputs, isCommandEntry, misplacedKeys, resolveCommand } from "./command-entry.ts";
import { outputPathProblem, parseRef } from "./project-paths.ts";
import { readPipelineSource, type PipelineSource } from "./source.ts";

export const PIPELINE_FILE = "pipeline.yaml";

/**
 * Reads, overrides, validates and resolves pipeline.yaml; every problem is reported at once.
 * `source` is the file already read (openProject reads it once for `plugins:` too).
 * `pluginOf` maps a plugin stage's name to the file defining it; a name not in it is built in.
 */
export function loadPipeline(
  projectDir: string,
  registry: readonly AnyStage[],
  overrides: readonly Override[] = [],
  source?: PipelineSource,
  pluginOf: ReadonlyMap<string, string> = new Map(),
): ResolvedPipeline {
  const file = join(projectDir, PIPELINE_FILE);
  if (!existsSync(file)) {
    throw new UsageError(`no ${PIPELINE_FILE} in ${projectDir}`, "run pipeline in a project folder, or pass -C DIR");
  }
  const { doc, lines, raw: read } = source ?? readPipelineSource(file, PIPELINE_FILE);
  const byName = new Map(registry.map((def) => [def.name, def]));
  const issues: string[] = [];
  const { raw, fromSet } = applyOverrides(read, overrides, byName, issues);
  const located = locator(doc, lines);
  // a value that came from --set is blamed on the --set, never on the yaml line it replaced
  const where = (path: readonly (string | number)[], at: "value" | "key" = "value") => {
    const set = fromSet(path);
    return set === undefined ? located(path, at) : ` (from --set ${set})`;
  };
  const parsed = pipelineFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw configError([...issues, ...zodIssues(parsed.error, { prefix: [], schema: pipelineFileSchema, where, raw })], overrides);
  }
  const stages = new Map<string, ResolvedStage>();
  const entries = Object.entries(parsed.data.stages).map(([name, entry]) => [name, entry ?? {}] as const);
  const declared = new Map(entries);
  for (const [name, entry] of entries) {
    const yamlStages = (read as { stages?: Record<string, { params?: unknown } | null> } | null)?.stages;
    const yamlParams = (stage: string) => yamlStages?.[stage]?.params;
    const resolved = resolveStage(name, entry, { dir: dirname(file), byName, pluginOf, declared, where, raw, issues, yamlParams });
    if (resolved) stages.set(name, resolved);
  }
  const { order, cycle } = topoOrder([...stages.keys()], (n) => stages.get(n)!.upstream);
  if (cycle.length > 0)
    issues.push(`stages: the inputs form a cycle through ${cycle.join(" -> ")}; a stage cannot depend on its own outputs`);
  if (issues.length > 0) throw configError(issues, overrides);
  const remote = parsed.data.cache?.remote;
  return { file, dir: dirname(file), seed: parsed.data.seed, stages, order, ...(remote ? { remote } : {}) };
}

interface ResolveContext {
  dir: string;
  byName: ReadonlyMap<string, AnyStage>;
  pluginOf: ReadonlyMap<string, string>;
  declared: ReadonlyMap<string, StageEntry>;
  where: (path: readonly (string | number)[], at?: "value" | "key") => string;
  /** the document with the overrides applied, for the values issues quote */
  raw: unknown;
  issues: string[];
  /** a stage's params as pipeline.yaml writes them, before --set (a command stage's declare its parameters) */
  yamlParams: (stage: string) => unknown;
}

/** Problems that all come from `--set` are the command line's, not pipeline.yaml's. */
function configError(issues: readonly string[], overrides: readonly Override[]): ConfigError {
  const onlySets = overrides.length > 0 && issues.every((issue) => issue.startsWith("--set ") || issue.includes("(from --set "));
  return new ConfigError(
    onlySets ? "the command line" : PIPELINE_FILE,
    issues,
    onlySets ? { hint: "fix the --set values listed above" } : {},
  );
}

function resolveStage(name: string, entry: StageEntry, ctx: ResolveContext): ResolvedStage | undefined {
  const at = (...path: (string | number)[]) => `stages.${[name, ...path].join(".")}${ctx.where(["stages", name, ...path])}`;
  if (!STAGE_NAME.test(name)) {
    ctx.issues.push(`${at()}: stage name "${name}" must be lower-case letters, digits, - or _`);
    return undefined;
  }
  for (const { key, problem } of misplacedKeys(name, entry)) ctx.issues.push(`${at(key)}: ${problem}`);
  const command = isCommandEntry(name, entry) ? resolveCommand(name, entry, { ...ctx, yamlParams: ctx.yamlParams(name) }, at) : undefined;
  if (isCommandEntry(name, entry) && !command) return undefined;
  const uses = entry.uses ?? name;
  const def = command?.def ?? ctx.byName.get(uses);
  if (!def) {
    const known: { name: string; origin: StageOrigin }[] = [...ctx.byName.keys()].map((n) => ({
      name: n,
      origin: originOf({ plugin: ctx.pluginOf.get(n) }),
    }));
    if (!ctx.byName.has(COMMAND_STAGE)) known.push({ name: COMMAND_STAGE, origin: { kind: "command" } });
    const names = known.map((k) => k.name);
    const tail = didYouMeanTail(uses, names);
    ctx.issues.push(
      `${at(entry.uses ? "uses" : "")}: unknown stage "${uses}"${tail}; stages known: ${listByOrigin(known)}`.replace(".:", ":"),
    );
    return undefined;
  }
  const schema = def.params as z.ZodType;
  const paramsResult = schema.safeParse(entry.params ?? {});
  if (!paramsResult.success) {
    const context = { prefix: ["stages", name, "params"], schema, where: ctx.where, raw: ctx.raw, owner: name };
    ctx.issues.push(...zodIssues(paramsResult.error, context));
  }
  const inputs = command?.inputs ?? resolveInputs(name, def, entry, ctx, at);
  const outputs = command?.outputs ?? resolveOutputs(def, entry, ctx, at);
  const upstream = [...new Set(inputs.flatMap((b) => (b.kind === "ref" ? [b.stage] : [])))].sort();
  const params = paramsResult.success ? paramsResult.data : {};
  const plugin = command ? undefined : ctx.pluginOf.get(uses);
  return { name, def, params, inputs, outputs, upstream, ...(command ? { command: command.spec } : {}), ...(plugin ? { plugin } : {}) };
}

function resolveInputs(
  name: string,
  def: AnyStage,
  entry: StageEntry,
  ctx: ResolveContext,
  at: (...path: string[]) => string,
): InputBinding[] {
  const wired = entry.inputs ?? {};
  const bindings: InputBinding[] = [];
  for (const slot of Object.keys(wired)) {
    if (!(slot in def.inputs)) {
      const known = Object.keys(def.inputs);
      ctx.issues.push(
        `${at("inputs", slot)}: ${def.name} has no input "${slot}"${didYouMeanTail(slot, known)} (its inputs: ${known.join(", ")})`,
      );
    }
  }
  for (const [slot, spec] of Object.entries(def.inputs)) {
    const value = wired[slot];
    if (value === undefined) {
      const hint = spec.kind === "path" ? "a file path" : `an upstream output such as \`stage.output\` (${spec.kind})`;
      ctx.issues.push(`${at("inputs")}: input "${slot}" is not wired; give it ${hint}`);
      continue;
    }
    const ref = parseRef(value, ctx.declared);
    if (spec.kind === "path") {
      if (ref) {
        ctx.issues.push(`${at("inputs", slot)}: "${value}" is a stage output but ${slot} takes a file path`);
        continue;
      }
      bindings.push({ kind: "file", slot, path: resolve(ctx.dir, value), display: value });
      continue;
    }
    if (!ref) {
      const stage = /^([a-z][a-z0-9_-]*)\./.exec(value)?.[1];
      const tail = stage === undefined ? "" : didYouMeanTail(stage, ctx.declared.keys(), (near) => `${near}${value.slice(stage.length)}`);
      const takes = `${slot} takes a ${spec.kind} from another stage`;
      ctx.issues.push(`${at("inputs", slot)}: "${value}" is not \`stage.output\` of a stage in this file (${takes})${tail}`);
      continue;
    }
    if (ref.stage === name) {
      ctx.issues.push(`${at("inputs", slot)}: a stage cannot read its own output "${value}"`);
      continue;
    }
    const upstreamOutputs = declaredOutputs(ref.stage, ctx);
    const out = upstreamOutputs?.[ref.output];
    if (upstreamOutputs && !out) {
      const known = Object.keys(upstreamOutputs);
      const tail = didYouMeanTail(ref.output, known, (near) => `${ref.stage}.${near}`);
      ctx.issues.push(`${at("inputs", slot)}: ${ref.stage} has no output "${ref.output}"${tail} (its outputs: ${known.join(", ")})`);
      continue;
    }
    if (out && out.kind !== spec.kind) {
      ctx.issues.push(`${at("inputs", slot)}: ${value} is a ${out.kind} but ${slot} takes a ${spec.kind}`);
      continue;
    }
    bindings.push({ kind: "ref", slot, stage: ref.stage, output: ref.output });
  }
  return bindings;
}

function resolveOutputs(def: AnyStage, entry: StageEntry, ctx: ResolveContext, at: (...path: string[]) => string): OutputBinding[] {
  const outputs: OutputBinding[] = [];
  for (const [slot, target] of Object.entries(entry.outputs ?? {})) {
    const spec = def.outputs[slot];
    if (!spec) {
      const known = Object.keys(def.outputs);
      ctx.issues.push(
        `${at("outputs", slot)}: ${def.name} has no output "${slot}"${didYouMeanTail(slot, known)} (its outputs: ${known.join(", ")})`,
      );
      continue;
    }
    if (spec.kind !== "file" && spec.kind !== "json") {
      ctx.issues.push(
        `${at("outputs", slot)}: ${slot} is a ${spec.kind}, which lives in the cache only; files can be written for file and json outputs`,
      );
      continue;
    }
    const path = resolve(ctx.dir, target);
    const problem = outputPathProblem(target, ctx.dir);
    if (problem === "outside") {
      const fix = `give a relative path such as data/processed/${slot}`;
      ctx.issues.push(`${at("outputs", slot)}: "${target}" is outside the project folder (or inside cache/); ${fix}`);
      continue;
    }
    if (problem === "link") {
      const fix = "point it at a real folder inside the project";
      ctx.issues.push(`${at("outputs", slot)}: "${target}" resolves outside the project folder through a symbolic link; ${fix}`);
      continue;
    }
    outputs.push({ slot, path, display: target });
  }
  return outputs;
}

/**
 * `--set` values go into the raw document, so they are validated exactly like the yaml. A stage
 * or parameter name that does not exist is reported here, against the --set that typed it.
 * `fromSet(path)` is the --set text that put the value at `path` (or one of its parents).
 */
function applyOverrides(
  raw: unknown,
  overrides: readonly Override[],
  byName: ReadonlyMap<string, AnyStage>,
  issues: string[],
): { raw: unknown; fromSet: (path: readonly (string | number)[]) => string | undefined } {
  const set = new Map<string, string>();
  const fromSet = (path: readonly (string | number)[]) => {
    for (let depth = path.length; depth > 0; depth--) {
      const text = set.get(_pathKey(path.slice(0, depth)));
      if (text !== undefined) return text;
    }
    return undefined;
  };
  if (overrides.length === 0) return { raw, fromSet };
  const doc = structuredClone(raw) as {
    seed?: unknown;
    stages?: Record<string, { uses?: unknown; params?: Record<string, unknown> } | null>;
  };
  for (const o of overrides) {
    if (o.path[0] === "seed" && o.path.length === 1) {
      doc.seed = o.value;
      set.set(_pathKey(["seed"]), o.text);
      continue;
    }
    const [stage, param] = o.path as [string, string];
    const stages = doc.stages && typeof doc.stages === "object" ? doc.stages : {};
    const entry = Object.hasOwn(stages, stage) ? stages[stage] : undefined;
    if (entry === undefined) {
      const known = Object.keys(stages);
      issues.push(
        `--set ${o.text}: no stage "${stage}" in ${PIPELINE_FILE}${didYouMeanTail(stage, known)} (its stages: ${known.join(", ")})`,
      );
      continue;
    }
    const uses = typeof entry?.uses === "string" ? entry.uses : stage;
    const params = byName.has(uses) ? keysAt(byName.get(uses)!.params as z.ZodType, []) : undefined;
    if (params && !params.includes(param)) {
      issues.push(`--set ${o.text}: ${stage} has no parameter "${param}"${didYouMeanTail(param, params)} (${_knownKeys(params, stage)})`);
      continue;
    }
    const holder = (stages[stage] = entry ?? {});
    holder.params = { ...(holder.params ?? {}), [param]: o.value };
    set.set(_pathKey(["stages", stage, "params", param]), o.text);
  }
  return { raw: doc, fromSet };
}

interface IssueContext {
  /** where the validated value sits in pipeline.yaml */
  prefix: readonly (string | number)[];
  /** the schema that produced the error, for the keys it would have accepted */
  schema: z.ZodType;
  where: (path: readonly (string | number)[], at?: "value" | "key") => string;
  /** the document with the overrides applied, for the values issues quote */
  raw: unknown;
  /** the stage whose parameters these are, when they are */
  owner?: string;
}

/**
 * One line per problem; an unknown-keys issue becomes one line per key, each with its own line
 * number, the near key it may be a typo of and the keys that exist there.
 */
function zodIssues(error: z.ZodError, ctx: IssueContext): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    const local = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    const path = [...ctx.prefix, ...local];
    const name = path.length > 0 ? path.join(".") : "(top level)";
    if (issue.code === "unrecognized_keys") {
      const known = keysAt(ctx.schema, local) ?? [];
      const listed = _knownKeys(known, ctx.owner !== undefined && local.length === 0 ? ctx.owner : undefined);
      for (const key of issue.keys) {
        lines.push(`${name}${ctx.where([...path, key], "key")}: Unrecognized key: "${key}"${didYouMeanTail(key, known)} (${listed})`);
      }
    } else if (issue.code === "invalid_value") {
      const typed = _valueAt(ctx.raw, path);
      const options = issue.values.filter((v): v is string => typeof v === "string");
      const tail = typeof typed === "string" ? didYouMeanTail(typed, options) : "";
      lines.push(`${name}${ctx.where(path)}: ${issue.message}${tail}`);
    } else {
      lines.push(`${name}${ctx.where(path)}: ${issue.message}`);
    }
  }
  return lines;
}

function _knownKeys(known: readonly string[], stage: string | undefined): string {
  if (stage !== undefined) return known.length === 0 ? `${stage} takes no parameters` : `${stage}'s parameters: ${known.join(", ")}`;
  return known.length === 0 ? "no keys are allowed here" : `allowed here: ${known.join(", ")}`;
}

function _valueAt(raw: unknown, path: readonly (string | number)[]): unknown {
  let current = raw;
  for (const step of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

/**
 * " (line N)" for the deepest node of `path` that exists in the yaml, or "" when none does:
 * the line of its value, or with at = "key" of its key (where an unknown key is typed). The
 * first call indexes every node by its path, so each lookup is a few map reads (doc.getIn
 * scans a map's pairs, which made a file of unknown keys quadratic).
 */
function locator(doc: Document, lines: LineCounter): (path: readonly (string | number)[], at?: "value" | "key") => string {
  let index: NodeIndex | undefined;
  return (path, at = "value") => {
    index ??= _indexNodes(doc);
    const exact = at === "key" ? index.keys.get(_pathKey(path)) : undefined;
    if (exact !== undefined) return ` (line ${lines.linePos(exact).line})`;
    for (let depth = path.length; depth > 0; depth--) {
      const offset = index.values.get(_pathKey(path.slice(0, depth)));
      if (offset !== undefined) return ` (line ${lines.linePos(offset).line})`;
    }
    const top = doc.contents;
    return isMap(top) && top.range ? ` (line ${lines.linePos(top.range[0]).line})` : "";
  };
}

function _pathKey(path: readonly (string | number)[]): string {
  return path.map((p) => `\u0000${String(p)}`).join("");
}

/** Path key (as _pathKey spells it) -> offset of the node there (of its key when it has no value node), and of its key. */
interface NodeIndex {
  values: Map<string, number>;
  keys: Map<string, number>;
}

function _indexNodes(doc: Document): NodeIndex {
  const values = new Map<string, number>();
  const keys = new Map<string, number>();
  const walk = (node: unknown, key: string): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const child = `${key}\u0000${String(pair.key.value)}`;
        const keyOffset = pair.key.range?.[0];
        const offset = (pair.value as { range?: [number, number, number] } | null)?.range?.[0] ?? keyOffset;
        if (offset !== undefined) values.set(child, offset);
        if (keyOffset !== undefined) keys.set(child, keyOffset);
        walk(pair.value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const child = `${key}\u0000${i}`;
        const offset = (item as { range?: [number, number, number] } | null)?.range?.[0];
        if (offset !== undefined) values.set(child, offset);
        walk(item, child);
      });
    }
  };
  walk(doc.contents, "");
  return { values, keys };
}
