// Compiles every src/**/*.wat to dist/wasm/<name>.wasm with wabt (a devDependency), with the
// SIMD and threads (shared memory) features on: the kNN kernel imports one shared memory
// that all its worker threads read the data matrix from. No wabt validate() step: wabt 1.0.39's
// validator rejects shared memories even with threads on; V8 validates the module when it compiles it.
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, basename } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const wats = [];
(function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith(".wat")) wats.push(full);
  }
})(join(root, "src"));
if (wats.length > 0) {
  const wabt = await (await import("wabt")).default();
  const features = { simd: true, threads: true };
  mkdirSync(join(root, "dist", "wasm"), { recursive: true });
  for (const file of wats) {
    const module = wabt.parseWat(basename(file), readFileSync(file, "utf8"), features);
    const { buffer } = module.toBinary({});
    writeFileSync(join(root, "dist", "wasm", basename(file, ".wat") + ".wasm"), buffer);
    module.destroy();
  }
}
