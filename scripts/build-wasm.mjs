// Compiles every src/**/*.wat to dist/wasm/<name>.wasm with wabt (a devDependency).
// NOTE: placeholder until the KNN kernel lands; it already does the real work for any .wat present.
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
  mkdirSync(join(root, "dist", "wasm"), { recursive: true });
  for (const file of wats) {
    const module = wabt.parseWat(basename(file), readFileSync(file, "utf8"), { simd: true });
    const { buffer } = module.toBinary({});
    writeFileSync(join(root, "dist", "wasm", basename(file, ".wat") + ".wasm"), buffer);
    module.destroy();
  }
}
