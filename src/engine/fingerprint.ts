import { existsSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { sha256 } from "../core/hash.ts";
import { packageRoot } from "../core/paths.ts";

const IMPORT = /(?:import|export)\s[^"';]*?from\s*["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

/**
 * A hash of a stage's code: its module file and every local module it imports, transitively,
 * so editing a numeric kernel changes the key of every stage that uses it. Paths are taken
 * relative to `base` (pipeline's folder for built-in stages, the project for plugins), so the
 * hash does not depend on where either lives.
 */
export function codeFingerprint(modulePath: string, base = packageRoot(), memo = new Map<string, string>()): string {
  const cached = memo.get(modulePath);
  if (cached) return cached;
  const files = new Map<string, string>();
  const todo = [modulePath];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file) || !existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    files.set(file, sha256(text));
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2]!;
      todo.push(resolve(dirname(file), spec));
    }
  }
  const listing = [...files].map(([file, hash]) => `${relative(base, file)} ${hash}`).sort().join("\n");
  const fingerprint = sha256(listing);
  memo.set(modulePath, fingerprint);
  return fingerprint;
}
