// `npm run lint` runs this after Biome: Biome wraps code at its lineWidth but never breaks a long
// string literal, so a line over the limit can still slip through. Lists file:line:length for every
// line over MAX_LINE in the files git knows of (tracked, or new and not ignored), exits 1 if any.
// Generated files are skipped: the lockfile and the golden fixtures that scripts/golden/ writes.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const MAX_LINE = 140;
const CHECKED = /\.(ts|mts|cts|js|mjs|cjs|json|yaml|yml|css|wat|py)$/;
const GENERATED = [/(^|\/)package-lock\.json$/, /^test\/fixtures\/golden\//, /^dist\//];

const root = new URL("..", import.meta.url);
const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
  cwd: root,
  encoding: "utf8",
  maxBuffer: 64 << 20,
});
const files = [...new Set(listed.split("\0"))].filter((f) => CHECKED.test(f) && !GENERATED.some((g) => g.test(f))).sort();

const over = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(new URL(file, root), "utf8");
  } catch (error) {
    if (error.code === "ENOENT") continue; // deleted in the worktree, not yet in the index
    throw error;
  }
  text.split(/\r?\n/).forEach((line, i) => {
    const length = [...line].length; // code points, so "±" or "·" counts as one character
    if (length > MAX_LINE) over.push(`${file}:${i + 1}: ${length} characters`);
  });
}

if (over.length > 0) {
  console.error(over.join("\n"));
  console.error(`${over.length} line(s) over ${MAX_LINE} characters; wrap them (split long strings with + or a template per part)`);
  process.exit(1);
}
console.log(`line length: ${files.length} files, no line over ${MAX_LINE} characters`);
