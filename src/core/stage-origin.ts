/**
 * Where a stage's code comes from, as messages that list stage names mark it: a user who sees
 * `total` beside `classify` should know which one is their plugin's and which file defines it.
 */

/** `built in`, `plugin stages/total.mjs` or `uses: cmd`. */
export function originLabel(stage: { readonly command?: unknown; readonly plugin?: string | undefined }): string {
  if (stage.command !== undefined) return "uses: cmd";
  return stage.plugin === undefined ? "built in" : `plugin ${stage.plugin}`;
}

/** `load, cluster (built in); total (plugin stages/total.mjs)`: names grouped by origin, in order of first appearance. */
export function listByOrigin(stages: readonly { readonly name: string; readonly origin: string }[]): string {
  const groups = new Map<string, string[]>();
  for (const { name, origin } of stages) {
    const names = groups.get(origin) ?? [];
    if (names.length === 0) groups.set(origin, names);
    names.push(name);
  }
  return [...groups].map(([origin, names]) => `${names.join(", ")} (${origin})`).join("; ");
}
