/**
 * A worker computes a job only under the key the coordinator asked for. It recomputes the
 * stage's key record from its own clone (pipeline's engine version, the stage's `uses`, version,
 * code fingerprint and command, its input files' bytes) and lists what differs, so a worker on
 * another commit or pipeline release refuses the job instead of caching other code's result
 * under the coordinator's key. Parameters and seed are the job's: the coordinator's `--set` may
 * differ from this pipeline.yaml. Input objects are the job's too: they come from the remote.
 */
import type { ResolvedStage } from "../core/graph.ts";
import { keyChanges, keyPartsFor, type KeyParts } from "../core/keys.ts";
import type { Project } from "../cli/project.ts";

/** What this clone would key differently from `parts`, in the user's terms; empty when the keys agree. */
export function keyMismatch(project: Project, stage: ResolvedStage, parts: KeyParts): string[] {
  const refs = stage.inputs.flatMap((b) => (b.kind === "ref" ? [b] : []));
  const wiring = [
    ...refs
      .filter((b) => !(b.slot in parts.inputs))
      .map((b) => `input ${b.slot}: wired in this worker's pipeline.yaml, not the coordinator's`),
    ...Object.keys(parts.inputs)
      .filter((slot) => !refs.some((b) => b.slot === slot))
      .map((slot) => `input ${slot}: wired in the coordinator's pipeline.yaml, not this worker's`),
  ];
  const known = new Map(refs.map((b) => [`${b.stage}.${b.output}`, parts.inputs[b.slot] ?? ""]));
  const fileHashes = new Map(stage.inputs.flatMap((b) => (b.kind === "file" ? [[b.path, readableHash(project, b)] as const] : [])));
  const code = project.code.get(stage.name) ?? "";
  // every ref is in `known`, so the parts are complete
  const mine = keyPartsFor({ ...stage, params: parts.params }, 0, code, known, (path) => fileHashes.get(path)!) as KeyParts;
  const uses = parts.uses === mine.uses ? [] : [`stage uses: ${parts.uses} -> ${mine.uses}`]; // keyChanges leaves it to code
  return [...uses, ...wiring, ...keyChanges(parts, { ...mine, seed: parts.seed, inputs: parts.inputs }).map((c) => c.detail)];
}

/** The input file's hash; a file this worker cannot read fails the attempt (BullMQ retries it, maybe elsewhere). */
function readableHash(project: Project, b: { slot: string; path: string; display: string }): string {
  try {
    return project.hasher.hash(b.path);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "it does not exist" : err.code === "EISDIR" ? "it is a folder" : (err.code ?? err.message);
    throw new Error(`input ${b.slot}: this worker cannot read ${b.display} (${why}); its clone needs the coordinator's input files`);
  }
}
