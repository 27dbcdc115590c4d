/**
 * A `uses: cmd` entry of pipeline.yaml resolved into what the engine runs: its deps as inputs
 * (project files hashed by content, other stages' outputs of any kind), its outs as outputs
 * written to the project, its command checked against what it declares.
 */
import { existsSync, statSync } from "node:fs";
import { join, normalize, relative, resolve, sep } from "node:path";
import { CACHE_DIR } from "../cache/local-driver.ts";
import {
  DEP_FILE_EXTENSION,
  isNamespace,
  placeholders,
  REF_DEPS_DIR,
  type CommandDep,
  type CommandKind,
  type CommandSpec,
  type DepKind,
} from "../core/command.ts";
import type { InputBinding, OutputBinding } from "../core/graph.ts";
import type { AnyStage } from "../core/stage.ts";
import { paramValueProblem } from "../command/params.ts";
import { COMMAND_STAGE, commandStage } from "../command/stage.ts";
import { outputPathProblem, parseRef } from "./project-paths.ts";
import type { StageEntry } from "./schema.ts";

/** What resolving a command entry needs from the loader. */
export interface CommandContext {
  readonly dir: string;
  readonly byName: ReadonlyMap<string, AnyStage>;
  readonly declared: ReadonlyMap<string, StageEntry>;
  /** the stage's params as pipeline.yaml writes them, before any --set */
  readonly yamlParams: unknown;
  readonly issues: string[];
}

export interface ResolvedCommand {
  readonly def: AnyStage;
  readonly spec: CommandSpec;
  readonly inputs: InputBinding[];
  readonly outputs: OutputBinding[];
}

const NAME = /^[A-Za-z0-9_-]+$/;

export function isCommandEntry(name: string, entry: StageEntry): boolean {
  return (entry.uses ?? name) === COMMAND_STAGE;
}

/** The problems of keys that belong to the other kind of stage (the caller reports them). */
export function misplacedKeys(name: string, entry: StageEntry): { key: string; problem: string }[] {
  const command = isCommandEntry(name, entry);
  const keys = command ? (["inputs", "outputs"] as const) : (["cmd", "deps", "outs"] as const);
  const problem = command
    ? "a command stage takes `deps` and `outs`, not `inputs` and `outputs`"
    : "`cmd`, `deps` and `outs` belong to command stages; add `uses: cmd`";
  return keys.filter((k) => entry[k] !== undefined).map((key) => ({ key, problem }));
}

/** The command stage `name`, or undefined when it has problems (pushed onto ctx.issues, located by `at`). */
export function resolveCommand(
  name: string,
  entry: StageEntry,
  ctx: CommandContext,
  at: (...path: string[]) => string,
): ResolvedCommand | undefined {
  const before = ctx.issues.length;
  const declaredParams = checkedParams(ctx.yamlParams, ctx, at);
  if (entry.cmd === undefined) ctx.issues.push(`${at()}: a command stage needs \`cmd\`: a list of arguments, or one shell string`);
  else if (Array.isArray(entry.cmd) && entry.cmd[0] === "") ctx.issues.push(`${at("cmd", "0")}: the program to run is empty`);
  const deps = resolveDeps(name, entry, ctx, at);
  const outs = resolveOuts(entry, deps, ctx, at);
  const spec: CommandSpec = {
    cmd: entry.cmd ?? [],
    deps: Object.fromEntries(deps.map((d) => [d.name, d.dep])),
    outs: Object.fromEntries(outs.map((o) => [o.binding.slot, { path: o.rel, kind: o.kind }])),
    declaredParams,
  };
  checkPlaceholders(spec, ctx, at);
  if (ctx.issues.length > before) return undefined;
  return {
    def: commandStage(name, spec, join(ctx.dir, CACHE_DIR, "tmp")),
    spec,
    inputs: deps.map((d) => d.binding),
    outputs: outs.map((o) => o.binding),
  };
}

/**
 * The outputs stage `stage` declares, with their kinds and the project file each is written to:
 * a command stage's outs, or a built-in or plugin stage's slots. Undefined for an unknown stage.
 */
export function declaredOutputs(
  stage: string,
  ctx: Pick<CommandContext, "byName" | "declared">,
): Record<string, { kind: string; path?: string }> | undefined {
  const entry = ctx.declared.get(stage);
  if (entry && isCommandEntry(stage, entry)) {
    return Object.fromEntries(Object.entries(entry.outs ?? {}).map(([slot, out]) => [slot, { kind: out.kind, path: out.path }]));
  }
  const def = ctx.byName.get(entry?.uses ?? stage);
  if (!def) return undefined;
  return Object.fromEntries(
    Object.entries(def.outputs).map(([slot, spec]) => [
      slot,
      { kind: spec.kind, ...(entry?.outputs?.[slot] ? { path: entry.outputs[slot] } : {}) },
    ]),
  );
}

function checkedParams(raw: unknown, ctx: CommandContext, at: (...path: string[]) => string): Record<string, unknown> {
  if (raw === undefined || raw === null || typeof raw !== "object" || Array.isArray(raw)) return {};
  const params = raw as Record<string, unknown>;
  for (const [param, value] of Object.entries(params)) {
    if (!NAME.test(param)) ctx.issues.push(`${at("params", param)}: a parameter name is letters, digits, _ or -`);
    const problem = paramValueProblem(value);
    if (problem) ctx.issues.push(`${at("params", param)}: ${problem}`);
  }
  return params;
}

interface ResolvedDep {
  name: string;
  dep: CommandDep;
  binding: InputBinding;
}

function resolveDeps(name: string, entry: StageEntry, ctx: CommandContext, at: (...path: string[]) => string): ResolvedDep[] {
  const deps: ResolvedDep[] = [];
  const outputFiles = declaredOutputFiles(ctx);
  for (const [dep, value] of Object.entries(entry.deps ?? {})) {
    const here = at("deps", dep);
    if (!NAME.test(dep)) {
      ctx.issues.push(`${here}: a dep name is letters, digits, _ or -`);
      continue;
    }
    // a project path another stage writes is that stage's output, as DVC reads it
    const ref = refNamed(value, ctx) ?? outputFiles.get(projectRelative(value, ctx.dir) ?? "");
    const resolved = ref ? refDep(name, dep, ref, ctx, here) : fileDep(dep, value, ctx, here);
    if (!resolved) continue;
    const clash = deps.find((d) => d.dep.path === resolved.dep.path);
    if (clash) ctx.issues.push(`${here}: lands at ${resolved.dep.path}, where dep ${clash.name} is; give one of them another path`);
    else deps.push(resolved);
  }
  return deps;
}

/**
 * `value` as `STAGE.OUTPUT`, unless that stage has no such output and the project holds a file of
 * that name: stage `plot`'s script `plot.py` is a file, not an output `py` of plot.
 */
function refNamed(value: string, ctx: CommandContext): { stage: string; output: string } | undefined {
  const ref = parseRef(value, ctx.declared);
  if (!ref || declaredOutputs(ref.stage, ctx)?.[ref.output]) return ref;
  const rel = projectRelative(value, ctx.dir);
  return rel && existsSync(resolve(ctx.dir, rel)) ? undefined : ref;
}

function refDep(
  name: string,
  dep: string,
  ref: { stage: string; output: string },
  ctx: CommandContext,
  here: string,
): ResolvedDep | undefined {
  const text = `${ref.stage}.${ref.output}`;
  if (ref.stage === name) {
    ctx.issues.push(`${here}: a stage cannot read its own output ${text}`);
    return undefined;
  }
  const outputs = declaredOutputs(ref.stage, ctx);
  const out = outputs?.[ref.output];
  if (!outputs) return undefined; // the unknown stage is reported on its own entry
  if (!out) {
    ctx.issues.push(`${here}: ${ref.stage} has no output "${ref.output}"; its outputs are ${Object.keys(outputs).join(", ") || "(none)"}`);
    return undefined;
  }
  if (!isDepKind(out.kind)) {
    ctx.issues.push(`${here}: ${text} is a ${out.kind}; a command's deps can read file, json, table and matrix outputs`);
    return undefined;
  }
  const kind = out.kind;
  // a table or matrix has no project file: it is written for the command as parquet or .npy
  const path = (out.path && projectRelative(out.path, ctx.dir)) || `${REF_DEPS_DIR}/${dep}${DEP_FILE_EXTENSION[kind]}`;
  return {
    name: dep,
    dep: { kind: "ref", ref: text, as: kind, path },
    binding: { kind: "ref", slot: dep, stage: ref.stage, output: ref.output },
  };
}

function fileDep(dep: string, value: string, ctx: CommandContext, here: string): ResolvedDep | undefined {
  const rel = projectRelative(value, ctx.dir);
  if (!rel || rel.split(sep)[0] === CACHE_DIR) {
    ctx.issues.push(
      `${here}: "${value}" is outside the project folder (or inside cache/); a dep is a project file (copy it in) or \`stage.output\``,
    );
    return undefined;
  }
  const path = resolve(ctx.dir, rel);
  if (existsSync(path) && statSync(path).isDirectory()) {
    ctx.issues.push(`${here}: "${value}" is a folder; a dep is one file (list the files it needs, or an archive of them)`);
    return undefined;
  }
  return { name: dep, dep: { kind: "file", path: rel }, binding: { kind: "file", slot: dep, path, display: value } };
}

function resolveOuts(entry: StageEntry, deps: readonly ResolvedDep[], ctx: CommandContext, at: (...path: string[]) => string) {
  const outs: { binding: OutputBinding; rel: string; kind: CommandKind }[] = [];
  for (const [out, { path, kind }] of Object.entries(entry.outs ?? {})) {
    const here = at("outs", out);
    if (!NAME.test(out)) {
      ctx.issues.push(`${here}: an out name is letters, digits, _ or -`);
      continue;
    }
    const problem = outputPathProblem(path, ctx.dir);
    if (problem) {
      const why =
        problem === "outside"
          ? "is outside the project folder (or inside cache/)"
          : "resolves outside the project folder through a symbolic link";
      ctx.issues.push(`${here}: "${path}" ${why}; give a relative path inside the project, such as data/processed/${out}`);
      continue;
    }
    const rel = projectRelative(path, ctx.dir)!;
    const clash = deps.find((d) => d.dep.path === rel)?.name ?? outs.find((o) => o.rel === rel)?.binding.slot;
    if (clash) {
      ctx.issues.push(`${here}: "${path}" is also where ${clash} is; a command's deps and outs each need a path of their own`);
      continue;
    }
    outs.push({ binding: { slot: out, path: resolve(ctx.dir, rel), display: path }, rel, kind });
  }
  return outs;
}

/** Every `${...}` in cmd names a declared param, dep or out. */
function checkPlaceholders(spec: CommandSpec, ctx: CommandContext, at: (...path: string[]) => string): void {
  const declared = { params: Object.keys(spec.declaredParams), deps: Object.keys(spec.deps), outs: Object.keys(spec.outs) };
  for (const { namespace, name, text } of placeholders(spec.cmd)) {
    if (!isNamespace(namespace)) {
      ctx.issues.push(`${at("cmd")}: ${text} is not a placeholder; write \${params.${name}}, \${deps.${name}} or \${outs.${name}}`);
      continue;
    }
    const names = declared[namespace];
    if (!names.includes(name)) {
      ctx.issues.push(
        `${at("cmd")}: ${text} names no declared ${namespace.slice(0, -1)}; ${namespace} declares ${names.join(", ") || "nothing"}`,
      );
    }
  }
}

/** Project files written by some stage (`outputs:` or `outs:`), as project-relative paths -> that output. */
function declaredOutputFiles(ctx: CommandContext): Map<string, { stage: string; output: string }> {
  const files = new Map<string, { stage: string; output: string }>();
  for (const stage of ctx.declared.keys()) {
    for (const [output, out] of Object.entries(declaredOutputs(stage, ctx) ?? {})) {
      const rel = out.path ? projectRelative(out.path, ctx.dir) : undefined;
      if (rel) files.set(rel, { stage, output });
    }
  }
  return files;
}

function isDepKind(kind: string): kind is DepKind {
  return Object.hasOwn(DEP_FILE_EXTENSION, kind);
}

/** `value` as a normalized path relative to the project, or undefined when it leads outside it. */
function projectRelative(value: string, dir: string): string | undefined {
  if (value.startsWith("/")) return undefined;
  const rel = relative(dir, resolve(dir, normalize(value)));
  return rel === "" || rel.startsWith("..") ? undefined : rel.split(sep).join("/");
}
