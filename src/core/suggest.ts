/**
 * "Did you mean" for every name a user types: commands, subcommands, flags, stage names,
 * parameters and pipeline.yaml keys all go through `suggest`, so they agree on what is close.
 */

/**
 * Edits (insert, delete, substitute, swap two neighbours) between `a` and `b`, ignoring case:
 * the optimal string alignment distance, so `clasify` -> `classify` and `verfiy` -> `verify`
 * are one edit each.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // three rows of the dynamic programme: i-2, i-1 and i
  let before = new Array<number>(t.length + 1).fill(0);
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  let current = new Array<number>(t.length + 1).fill(0);
  for (let i = 1; i <= s.length; i++) {
    current[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[t.length]!;
}

/**
 * How many edits still count as a typo of a name this long: one per three characters, at least
 * one, but never as many as the name has characters (`x` is not a typo of `k`).
 */
function typoLimit(typed: string): number {
  return Math.min(Math.max(1, Math.floor(typed.length / 3)), typed.length - 1);
}

/**
 * The known names closest to `typed`: those within the typo limit at the smallest distance
 * (several when tied, in the order given); failing that, the names `typed` is the start of
 * (`stat` -> `status`) when it has three characters or more. Empty when nothing is close.
 */
export function suggest(typed: string, known: Iterable<string>): string[] {
  const names = [...new Set(known)];
  const limit = typoLimit(typed);
  let best = Number.POSITIVE_INFINITY;
  let closest: string[] = [];
  for (const name of names) {
    if (Math.abs(name.length - typed.length) > limit) continue; // too far apart, and cheap to tell
    const d = editDistance(typed, name);
    if (d > limit || d > best) continue;
    if (d < best) closest = [];
    best = d;
    closest.push(name);
  }
  if (closest.length > 0) return closest;
  if (typed.length < 3) return [];
  return names.filter((name) => name.toLowerCase().startsWith(typed.toLowerCase()));
}

/** `did you mean run?` / `did you mean --from or --force?`, or "" when nothing is close. */
export function didYouMean(typed: string, known: Iterable<string>, spell: (name: string) => string = (name) => name): string {
  const close = [...new Set(suggest(typed, known).map(spell))];
  if (close.length === 0) return "";
  const listed = close.length === 1 ? close[0]! : `${close.slice(0, -1).join(", ")} or ${close.at(-1)!}`;
  return `did you mean ${listed}?`;
}

/** `; did you mean k?` to append to a message, or "" when nothing is close. */
export function didYouMeanTail(typed: string, known: Iterable<string>, spell?: (name: string) => string): string {
  const hint = didYouMean(typed, known, spell);
  return hint === "" ? "" : `; ${hint}`;
}
