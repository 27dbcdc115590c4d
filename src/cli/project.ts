import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { FileHasher } from "../cache/file-hash.ts";
import { CACHE_DIR, LocalDriver } from "../cache/local-driver.ts";
import { loadPipeline, PIPELINE_FILE } from "../config/load.ts";
import { readPipelineSource, type PipelineSource } from "../config/source.ts";
import type { Override } from "../config/overrides.ts";
import { PipelineError } from "../core/errors.ts";
import { requireProject } from "./find-project.ts";
import type { ResolvedPipeline } from "../core/graph.ts";
import { COMMAND_STAGE_MODULE } from "../command/stage.ts";
import { packageRoot } from "../core/paths.ts";
import { codeFingerprint } from "../engine/fingerprint.ts";
import type { RunRequest } from "../engine/run.ts";
import { lastPartsOf, readRunLogs } from "../engine/run-log.ts";
import { loadRegistry, type RegisteredStage } from "../engine/registry.ts";

export interface Project {
  pipeline: ResolvedPipeline;
  /** the local cache folder, behind the store contract */
  store: LocalDriver;
  hasher: FileHasher;
  plugins: string[];
  /** stage name -> fingerprint of its code */
  code: Map<string, string>;
  /** every stage definition known: built-in and the plugins' */
  registry: readonly RegisteredStage[];
  /** where a command's warnings about the project go (damaged cache entries found while planning) */
  warn: (message: string) => void;
}

/** Everything a command needs about the project in `dir`: config, cache and code fingerprints. */
export async function openProject(dir: string, overrides: readonly Override[], warn: (m: string) => void): Promise<Project> {
  requireProject(dir);
  const source = readSource(dir);
  const { plugins, registry } = await projectRegistry(dir, source);
  const pluginOf = new Map(registry.flatMap((r) => (r.plugin ? [[r.def.name, r.plugin] as const] : [])));
  const pipeline = loadPipeline(
    dir,
    registry.map((r) => r.def),
    overrides,
    source,
    pluginOf,
  );
  const root = join(dir, CACHE_DIR);
  const store = new LocalDriver(root, warn);
  const memo = new Map<string, string>();
  const code = new Map<string, string>();
  for (const stage of pipeline.stages.values()) {
    // a command stage's own code is its runner; its command is a key part of its own
    const reg = stage.command ? { module: COMMAND_STAGE_MODULE, base: packageRoot() } : registry.find((r) => r.def === stage.def)!;
    code.set(stage.name, codeFingerprint(reg.module, reg.base, memo));
  }
  return { pipeline, store, hasher: new FileHasher(root, dir), plugins, code, registry, warn };
}

/**
 * The stages a project can use: the built-in ones and those of its `plugins:`, read from
 * pipeline.yaml without validating the rest (`pipeline schema` must work on a broken file).
 */
export async function projectRegistry(dir: string, source = readSource(dir)): Promise<{ plugins: string[]; registry: RegisteredStage[] }> {
  const plugins = pluginPaths(dir, source);
  return { plugins, registry: await loadRegistry(plugins, dir) };
}

/**
 * pipeline.yaml read once, through the same guarded reader loadPipeline uses; undefined when it
 * is missing or invalid, and then loadPipeline reads it again to report why, with its lines.
 */
function readSource(dir: string): PipelineSource | undefined {
  const file = join(dir, PIPELINE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return readPipelineSource(file, PIPELINE_FILE);
  } catch (error) {
    if (error instanceof PipelineError) return undefined;
    throw error;
  }
}

/** `plugins:` is read before validation because the plugins define stages the rest refers to. */
function pluginPaths(dir: string, source: PipelineSource | undefined): string[] {
  const plugins = (source?.raw as { plugins?: unknown } | null | undefined)?.plugins;
  if (!Array.isArray(plugins)) return [];
  return [...new Set(plugins.filter((p): p is string => typeof p === "string").map((p) => resolve(dir, p)))];
}

/** The parts of a run request that come from the project itself (plan and run share them). */
export function baseRunRequest(project: Project): Pick<RunRequest, "pipeline" | "store" | "hasher" | "code" | "plugins" | "previousParts"> {
  const logs = readRunLogs(project.store.root, 20);
  return {
    pipeline: project.pipeline,
    store: project.store,
    hasher: project.hasher,
    code: project.code,
    plugins: project.plugins,
    previousParts: (stage) => lastPartsOf(logs, stage),
  };
}
