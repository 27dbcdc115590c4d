import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { sha256 } from "../core/hash.ts";
import { packageRoot } from "../core/paths.ts";

/**
 * Relative imports: static (`import x from`, `export * from`, a bare `import "./x"`), dynamic
 * `import()`, a plugin's `require()`, and worker modules started via compiledUrl(). Bare
 * package names (node_modules) are not followed: the lockfile versions those.
 */
const LOCAL_MODULE = new RegExp(
  [
    /(?:import|export)\s[^"';]*?from\s*["'](\.{1,2}\/[^"']+)["']/.source,
    /import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/.source,
    /compiledUrl\(\s*import\.meta\.url\s*,\s*["'](\.{1,2}\/[^"']+)["']\s*\)/.source,
    /\bimport\s*["'](\.{1,2}\/[^"']+)["']/.source,
    /\brequire\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/.source,
  ].join("|"),
  "g",
);
/** wasm modules loaded by name: their compiled bytes are part of the code. */
const WASM = /wasmPath\(\s*["']([\w-]+)["']\s*\)/g;

/**
 * A hash of a stage's code: its module file, every local module it reaches (static imports,
 * import(), worker entry points) and the wasm it loads, so editing a numeric kernel changes the
 * key of every stage that uses it. Paths are relative to `base` (pipeline's folder for built-in
 * stages, the project for plugins), so the hash does not depend on where either lives. An
 * import that cannot be found is listed as missing rather than ignored.
 */
export function codeFingerprint(modulePath: string, base = packageRoot(), memo = new Map<string, string>()): string {
  const cached = memo.get(modulePath);
  if (cached) return cached;
  const fingerprint = sha256(codeFiles(modulePath, base).join("\n"));
  memo.set(modulePath, fingerprint);
  return fingerprint;
}

/** The sorted "path hash" lines the fingerprint is taken over. */
export function codeFiles(modulePath: string, base = packageRoot()): string[] {
  const listing: string[] = [];
  walkLocalModules(modulePath, (file, bytes) => listing.push(`${relative(base, file)} ${bytes ? sha256(bytes) : "missing"}`));
  return listing.sort();
}

/** The files `modulePath` reaches through relative imports (itself first), those that exist. */
export function localModules(modulePath: string): string[] {
  const files: string[] = [];
  walkLocalModules(modulePath, (file, bytes) => bytes && files.push(file));
  return files;
}

/** Visits `modulePath` and every local module, worker and wasm file it reaches, once each. */
function walkLocalModules(modulePath: string, visit: (file: string, bytes: Buffer | undefined) => void): void {
  const seen = new Set<string>();
  const todo = [modulePath];
  while (todo.length > 0) {
    const file = locate(todo.shift()!);
    if (seen.has(file)) continue;
    seen.add(file);
    if (!existsSync(file)) {
      visit(file, undefined);
      continue;
    }
    const bytes = readFileSync(file);
    visit(file, bytes);
    if (file.endsWith(".wasm")) continue;
    const text = bytes.toString("utf8");
    for (const match of text.matchAll(LOCAL_MODULE)) todo.push(resolve(dirname(file), match.slice(1).find((m) => m !== undefined)!));
    for (const match of text.matchAll(WASM)) todo.push(join(packageRoot(), "dist", "wasm", `${match[1]}.wasm`));
  }
}

/** Sources import "./x.ts" or, for a dynamic import that tsc leaves alone, "./x.js": find the file. */
function locate(file: string): string {
  if (existsSync(file)) return file;
  if (file.endsWith(".js") && existsSync(file.replace(/\.js$/, ".ts"))) return file.replace(/\.js$/, ".ts");
  return file;
}
