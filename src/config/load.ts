import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isMap, isScalar, isSeq, type Document, type LineCounter } from "yaml";
import type { z } from "zod";
import { ConfigError, UsageError } from "../core/errors.ts";
import { topoOrder, type InputBinding, type OutputBinding, type ResolvedPipeline, type ResolvedStage } from "../core/graph.ts";
import type { AnyStage } from "../core/stage.ts";
import type { Override } from "./overrides.ts";
import { pipelineFileSchema, STAGE_NAME, type StageEntry } from "./schema.ts";
import { declaredOutputs, isCommandEntry, misplacedKeys, resolveCommand } from "./command-entry.ts";
import { outputPathProblem, parseRef } from "./project-paths.ts";
import { readPipelineSource, type PipelineSource } from "./source.ts";

export const PIPELINE_FILE = "pipeline.yaml";

/**
 * Reads, overrides, validates and resolves pipeline.yaml; every problem is reported at once.
 * `source` is the file already read (openProject reads it once for `plugins:` too).
 */
export function loadPipeline(
  projectDir: string,
  registry: readonly AnyStage[],
  overrides: readonly Override[] = [],
  source?: PipelineSource,
): ResolvedPipeline {
  const file = join(projectDir, PIPELINE_FILE);
  if (!existsSync(file)) {
    throw new UsageError(`no ${PIPELINE_FILE} in ${projectDir}`, "run pipeline in a project folder, or pass -C DIR");
  }
  const { doc, lines, raw: read } = source ?? readPipelineSource(file, PIPELINE_FILE);
  const where = locator(doc, lines);
  const issues: string[] = [];
  const raw = applyOverrides(read, overrides, issues);
  const parsed = pipelineFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(PIPELINE_FILE, [...issues, ...zodIssues(parsed.error, [], where)]);
  }
  const stages = new Map<string, ResolvedStage>();
  const entries = Object.entries(parsed.data.stages).map(([name, entry]) => [name, entry ?? {}] as const);
  const byName = new Map(registry.map((def) => [def.name, def]));
  const declared = new Map(entries);
  for (const [name, entry] of entries) {
    const yamlStages = (read as { stages?: Record<string, { params?: unknown } | null> } | null)?.stages;
    const yamlParams = (stage: string) => yamlStages?.[stage]?.params;
    const resolved = resolveStage(name, entry, { dir: dirname(file), byName, declared, where, issues, yamlParams });
    if (resolved) stages.set(name, resolved);
  }
  const { order, cycle } = topoOrder([...stages.keys()], (n) => stages.get(n)!.upstream);
  if (cycle.length > 0) issues.push(`stages: the inputs form a cycle through ${cycle.join(" -> ")}; a stage cannot depend on its own outputs`);
  if (issues.length > 0) throw new ConfigError(PIPELINE_FILE, issues);
  const remote = parsed.data.cache?.remote;
  return { file, dir: dirname(file), seed: parsed.data.seed, stages, order, ...(remote ? { remote } : {}) };
}

interface ResolveContext {
  dir: string;
  byName: ReadonlyMap<string, AnyStage>;
  declared: ReadonlyMap<string, StageEntry>;
  where: (path: readonly (string | number)[]) => string;
  issues: string[];
  /** a stage's params as pipeline.yaml writes them, before --set (a command stage's declare its parameters) */
  yamlParams: (stage: string) => unknown;
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
  const def = command?.def ?? ctx.byName.get(entry.uses ?? name);
  if (!def) {
    const known = [...ctx.byName.keys()].join(", ");
    ctx.issues.push(`${at(entry.uses ? "uses" : "")}: unknown stage "${entry.uses ?? name}"; built-in stages are ${known}`.replace(".:", ":"));
    return undefined;
  }
  const paramsResult = (def.params as z.ZodType).safeParse(entry.params ?? {});
  if (!paramsResult.success) ctx.issues.push(...zodIssues(paramsResult.error, ["stages", name, "params"], ctx.where));
  const inputs = command?.inputs ?? resolveInputs(name, def, entry, ctx, at);
  const outputs = command?.outputs ?? resolveOutputs(def, entry, ctx, at);
  const upstream = [...new Set(inputs.flatMap((b) => (b.kind === "ref" ? [b.stage] : [])))].sort();
  const params = paramsResult.success ? paramsResult.data : {};
  return { name, def, params, inputs, outputs, upstream, ...(command ? { command: command.spec } : {}) };
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
      ctx.issues.push(`${at("inputs", slot)}: ${def.name} has no input "${slot}"; its inputs are ${Object.keys(def.inputs).join(", ")}`);
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
      ctx.issues.push(`${at("inputs", slot)}: "${value}" is not \`stage.output\` of a stage in this file; ${slot} takes a ${spec.kind} from another stage`);
      continue;
    }
    if (ref.stage === name) {
      ctx.issues.push(`${at("inputs", slot)}: a stage cannot read its own output "${value}"`);
      continue;
    }
    const upstreamOutputs = declaredOutputs(ref.stage, ctx);
    const out = upstreamOutputs?.[ref.output];
    if (upstreamOutputs && !out) {
      const known = Object.keys(upstreamOutputs).join(", ");
      ctx.issues.push(`${at("inputs", slot)}: ${ref.stage} has no output "${ref.output}"; its outputs are ${known}`);
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
      ctx.issues.push(`${at("outputs", slot)}: ${def.name} has no output "${slot}"; its outputs are ${Object.keys(def.outputs).join(", ")}`);
      continue;
    }
    if (spec.kind !== "file" && spec.kind !== "json") {
      ctx.issues.push(`${at("outputs", slot)}: ${slot} is a ${spec.kind}, which lives in the cache only; files can be written for file and json outputs`);
      continue;
    }
    const path = resolve(ctx.dir, target);
    const problem = outputPathProblem(target, ctx.dir);
    if (problem === "outside") {
      ctx.issues.push(`${at("outputs", slot)}: "${target}" is outside the project folder (or inside cache/); give a relative path such as data/processed/${slot}`);
      continue;
    }
    if (problem === "link") {
      ctx.issues.push(`${at("outputs", slot)}: "${target}" resolves outside the project folder through a symbolic link; point it at a real folder inside the project`);
      continue;
    }
    outputs.push({ slot, path, display: target });
  }
  return outputs;
}

/** `--set` values go into the raw document, so they are validated exactly like the yaml. */
function applyOverrides(raw: unknown, overrides: readonly Override[], issues: string[]): unknown {
  if (overrides.length === 0) return raw;
  const doc = structuredClone(raw) as { seed?: unknown; stages?: Record<string, { params?: Record<string, unknown> } | null> };
  for (const o of overrides) {
    if (o.path[0] === "seed" && o.path.length === 1) {
      doc.seed = o.value;
      continue;
    }
    const [stage, param] = o.path as [string, string];
    const entry = doc.stages?.[stage];
    if (entry === undefined) {
      issues.push(`--set ${o.text}: no stage "${stage}" in ${PIPELINE_FILE}`);
      continue;
    }
    const holder = (doc.stages![stage] = entry ?? {});
    holder.params = { ...(holder.params ?? {}), [param]: o.value };
  }
  return doc;
}

/** One line per problem; an unknown-keys issue becomes one line per key, each with its own line number. */
function zodIssues(error: z.ZodError, prefix: readonly (string | number)[], where: (p: readonly (string | number)[]) => string): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
    const name = path.length > 0 ? path.join(".") : "(top level)";
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) lines.push(`${name}${where([...path, key])}: Unrecognized key: "${key}"`);
    } else {
      lines.push(`${name}${where(path)}: ${issue.message}`);
    }
  }
  return lines;
}

/**
 * " (line N)" for the deepest node of `path` that exists in the yaml, or "" when none does.
 * The first call indexes every node by its path, so each lookup is a few map reads
 * (doc.getIn scans a map's pairs, which made a file of unknown keys quadratic).
 */
function locator(doc: Document, lines: LineCounter): (path: readonly (string | number)[]) => string {
  let index: Map<string, number> | undefined;
  return (path) => {
    index ??= _indexNodes(doc);
    for (let depth = path.length; depth > 0; depth--) {
      const offset = index.get(_pathKey(path.slice(0, depth)));
      if (offset !== undefined) return ` (line ${lines.linePos(offset).line})`;
    }
    const top = doc.contents;
    return isMap(top) && top.range ? ` (line ${lines.linePos(top.range[0]).line})` : "";
  };
}

function _pathKey(path: readonly (string | number)[]): string {
  return path.map((p) => `\u0000${String(p)}`).join("");
}

/** Path key (as _pathKey spells it) -> offset of the node there (of its key when it has no value node). */
function _indexNodes(doc: Document): Map<string, number> {
  const index = new Map<string, number>();
  const walk = (node: unknown, key: string): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const child = `${key}\u0000${String(pair.key.value)}`;
        const offset = (pair.value as { range?: [number, number, number] } | null)?.range?.[0] ?? pair.key.range?.[0];
        if (offset !== undefined) index.set(child, offset);
        walk(pair.value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const child = `${key}\u0000${i}`;
        const offset = (item as { range?: [number, number, number] } | null)?.range?.[0];
        if (offset !== undefined) index.set(child, offset);
        walk(item, child);
      });
    }
  };
  walk(doc.contents, "");
  return index;
}
