import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

let rootMemo: string | undefined;

/** The folder holding pipeline's own package.json (not the user's project). */
export function packageRoot(): string {
  if (rootMemo) return rootMemo;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || dir.endsWith("/dist")) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find pipeline's package.json");
    dir = up;
  }
  rootMemo = dir;
  return dir;
}

/**
 * URL of a compiled module for `new Worker(...)`. Worker threads need JavaScript, so when
 * the caller runs from TypeScript sources (vitest) this points at the same file under dist/,
 * which `npm run build` produces. `sibling` is relative to the caller, e.g. "./knn-worker.js".
 */
export function compiledUrl(callerUrl: string, sibling: string): URL {
  const target = fileURLToPath(new URL(sibling, callerUrl));
  const root = packageRoot();
  const rel = relative(root, target);
  if (rel.startsWith("dist/")) return pathToFileURL(target);
  return pathToFileURL(join(root, "dist", rel.replace(/\.ts$/, ".js")));
}

/** A file under dist/wasm/, produced by scripts/build-wasm.mjs from src/**\/*.wat. */
export function wasmPath(name: string): string {
  return join(packageRoot(), "dist", "wasm", `${name}.wasm`);
}
