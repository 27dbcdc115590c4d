/**
 * Where a stage's code comes from, as messages that list stage names mark it: a user who sees
 * `total` beside `classify` should know which one is their plugin's and which file defines it.
 */

export type StageOrigin = { readonly kind: "built-in" } | { readonly kind: "plugin"; readonly file: string } | { readonly kind: "command" };

const RANK: Readonly<Record<StageOrigin["kind"], number>> = { "built-in": 0, plugin: 1, command: 2 };

/** A resolved stage's origin: a command stage (`uses: cmd`), a plugin file's, or built in. */
export function originOf(stage: { readonly command?: unknown; readonly plugin?: string | undefined }): StageOrigin {
  if (stage.command !== undefined) return { kind: "command" };
  return stage.plugin === undefined ? { kind: "built-in" } : { kind: "plugin", file: stage.plugin };
}

function label(origin: StageOrigin): string {
  if (origin.kind === "plugin") return `plugin ${origin.file}`;
  return origin.kind === "command" ? "command stage" : "built in";
}

/**
 * `load, cluster (built in); total (plugin stages/total.mjs); plot (command stage)`: the names
 * grouped by origin, built-in ones first and command stages last, each group in the order given.
 */
export function listByOrigin(stages: readonly { readonly name: string; readonly origin: StageOrigin }[]): string {
  const groups = new Map<string, { rank: number; names: string[] }>();
  for (const { name, origin } of stages) {
    const key = label(origin);
    const group = groups.get(key) ?? { rank: RANK[origin.kind], names: [] };
    groups.set(key, group);
    group.names.push(name);
  }
  // a stable sort: plugins keep the order their first stage was given in
  return [...groups]
    .sort(([, a], [, b]) => a.rank - b.rank)
    .map(([key, { names }]) => `${names.join(", ")} (${key})`)
    .join("; ");
}
