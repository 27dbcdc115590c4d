import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, extname, join } from "node:path";
import { ConfigError } from "../core/errors.ts";
import { packageRoot } from "../core/paths.ts";
import type { AnyStage } from "../core/stage.ts";

export interface RegisteredStage {
  readonly def: AnyStage;
  /** the file defining the stage: its code fingerprint starts there */
  readonly module: string;
  /** folder the fingerprint's paths are relative to */
  readonly base: string;
  /** the plugin file defining it, as messages name it (relative to the project); absent for a built-in stage */
  readonly plugin?: string;
}

/**
 * One stage's definition, importing only its own module: a stage worker needs nothing else,
 * and every stage's dependencies (stages/index.ts is imported only by loadRegistry, never
 * statically here) would add ~50 ms to each worker's boot.
 */
export async function loadStageDef(uses: string, pluginFiles: readonly string[], projectDir: string): Promise<AnyStage | undefined> {
  const builtin = builtinModule(uses);
  if (/^[a-z][a-z0-9-]*$/.test(uses) && existsSync(builtin)) {
    const def = ((await import(pathToFileURL(builtin).href)) as { default?: AnyStage }).default;
    if (def?.name === uses) return def;
  }
  return (await loadRegistry(pluginFiles, projectDir)).find((r) => r.def.name === uses)?.def;
}

/**
 * stages/<name>.ts next to the sources, or stages/<name>.js in dist/: the same extension as
 * this module's own file (import.meta.resolve would not know, tsc leaves its string alone).
 */
export function builtinModule(name: string): string {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), "..", "..", "stages", `${name}${extname(here)}`);
}

/** Built-in stages plus those of the project's plugin modules (pipeline.yaml `plugins:`). */
export async function loadRegistry(pluginFiles: readonly string[] = [], projectDir = ""): Promise<RegisteredStage[]> {
  const { builtinStages } = await import("../../stages/index.ts");
  const registry: RegisteredStage[] = builtinStages.map((def) => ({ def, module: builtinModule(def.name), base: packageRoot() }));
  if (pluginFiles.length === 0) return registry;
  const { displayPath, loadPluginStages } = await import("./plugins.ts");
  const base = (file: string) => projectDir || dirname(file);
  for (const file of pluginFiles) {
    for (const def of await loadPluginStages(file, base(file))) {
      const taken = registry.find((r) => r.def.name === def.name);
      if (taken) {
        const other = builtinStages.includes(taken.def) ? "a built-in stage" : `also defined by ${displayPath(taken.module, base(file))}`;
        throw new ConfigError(`plugin ${displayPath(file, base(file))}`, [`defines stage "${def.name}", ${other}`], {
          hint: "give one of them another name, and name that in `uses:` in pipeline.yaml",
        });
      }
      registry.push({ def, module: file, base: base(file), plugin: displayPath(file, base(file)) });
    }
  }
  return registry;
}
