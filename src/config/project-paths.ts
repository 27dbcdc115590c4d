import { lstatSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/** `stage.output` when `stage` is declared in this file; anything else is a file path. */
export function parseRef(value: string, declared: ReadonlyMap<string, unknown>): { stage: string; output: string } | undefined {
  const match = /^([a-z][a-z0-9_-]*)\.([A-Za-z][A-Za-z0-9_]*)$/.exec(value);
  if (!match || !declared.has(match[1]!)) return undefined;
  return { stage: match[1]!, output: match[2]! };
}

/**
 * Why `target` (as pipeline.yaml spells it) cannot be a file the engine writes: "outside" the
 * project folder or inside its cache/, or reached through a "link" that leads there.
 */
export function outputPathProblem(target: string, projectDir: string): "outside" | "link" | undefined {
  const path = resolve(projectDir, target);
  const rel = relative(projectDir, path);
  if (isAbsolute(target) || rel.startsWith("..") || rel === "" || rel.split(sep)[0] === "cache") return "outside";
  return insideRealProject(path, projectDir) ? undefined : "link";
}

/** lstat, so a dangling link counts as there (and is then refused). */
function isThere(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `path`, with every symbolic link on its way resolved, stays inside the project (and
 * outside its cache/): the nearest existing ancestor is resolved, the rest cannot be a link.
 */
function insideRealProject(path: string, projectDir: string): boolean {
  let existing = path;
  while (!isThere(existing) && dirname(existing) !== existing) existing = dirname(existing);
  let real: string;
  try {
    real = join(realpathSync(existing), relative(existing, path));
  } catch {
    return false; // a link to nowhere: writing through it could land anywhere
  }
  const root = realpathSync(projectDir);
  const rel = relative(root, real);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) && rel.split(sep)[0] !== "cache";
}
