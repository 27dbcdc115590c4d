import { EXIT, UsageError } from "../../core/errors.ts";
import { didYouMeanTail } from "../../core/suggest.ts";
import type { ResolvedPipeline } from "../../core/graph.ts";
import { parseCommandArgs } from "../args.ts";
import type { CliIO } from "../io.ts";
import { openProject } from "../project.ts";

export const DAG_HELP = `usage: pipeline dag [--format text|mermaid|dot]

Draws the stage graph of pipeline.yaml: each edge is labelled with the output it carries.`;

export async function dagCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("dag", argv, { format: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.stdout(DAG_HELP);
    return EXIT.ok;
  }
  const format = values.format ?? "text";
  const formats = ["text", "mermaid", "dot"];
  if (!formats.includes(format))
    throw new UsageError(`unknown --format ${format}${didYouMeanTail(format, formats)}`, "use text, mermaid or dot");
  const project = await openProject(io.projectDir, [], (m) => io.stderr(`warning: ${m}`));
  io.stdout(renderDag(project.pipeline, format as "text" | "mermaid" | "dot"));
  return EXIT.ok;
}

interface Edge {
  from: string;
  to: string;
  label: string;
}

function edgesOf(pipeline: ResolvedPipeline): Edge[] {
  return pipeline.order.flatMap((name) =>
    pipeline.stages
      .get(name)!
      .inputs.flatMap((b) =>
        b.kind === "ref" ? [{ from: b.stage, to: name, label: b.output === b.slot ? b.output : `${b.output} -> ${b.slot}` }] : [],
      ),
  );
}

export function renderDag(pipeline: ResolvedPipeline, format: "text" | "mermaid" | "dot"): string {
  const edges = edgesOf(pipeline);
  const id = (s: string) => s.replace(/-/g, "_");
  if (format === "mermaid") {
    return ["graph TD", ...edges.map((e) => `  ${id(e.from)}["${e.from}"] -->|${e.label}| ${id(e.to)}["${e.to}"]`)].join("\n");
  }
  if (format === "dot") {
    return [
      "digraph pipeline {",
      "  rankdir=LR;",
      ...pipeline.order.map((n) => `  "${n}";`),
      ...edges.map((e) => `  "${e.from}" -> "${e.to}" [label="${e.label}"];`),
      "}",
    ].join("\n");
  }
  const lines: string[] = [];
  for (const name of pipeline.order) {
    const stage = pipeline.stages.get(name)!;
    const files = stage.inputs.flatMap((b) => (b.kind === "file" ? [b.display] : []));
    const outs = stage.outputs.map((o) => o.display);
    lines.push(`${name}${stage.def.effect ? "  (effect: runs only with --publish)" : ""}`);
    for (const f of files) lines.push(`  <- file ${f}`);
    for (const e of edges.filter((x) => x.to === name)) lines.push(`  <- ${e.from} (${e.label})`);
    for (const o of outs) lines.push(`  -> file ${o}`);
  }
  return lines.join("\n");
}
