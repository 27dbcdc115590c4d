// Emits the declarations of the public API (src/api.ts and the modules it reaches) next to the
// compiled JavaScript in dist/, for package.json's `exports` "types". The sources import
// "./x.ts" (rewriteRelativeImportExtensions rewrites the JavaScript, not the declarations), so
// the relative specifiers in the emitted .d.ts files are rewritten to the ".js" files beside them.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.types.json")], {
  stdio: "inherit",
});
(function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith(".d.ts")) {
      const text = readFileSync(full, "utf8");
      const fixed = text.replace(/(from\s+|import\()(["'])(\.{1,2}\/[^"']+)\.ts\2/g, "$1$2$3.js$2");
      if (fixed !== text) writeFileSync(full, fixed);
    }
  }
})(join(root, "dist", "src"));
