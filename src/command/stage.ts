/**
 * A command stage (`uses: cmd`): the stage definition the engine runs like any other, made from
 * what pipeline.yaml declares. Its inputs are the deps, its outputs the outs, its params the
 * declared ones. It runs the command in a scratch folder under cache/tmp, so a command that
 * fails or is killed never leaves half an output in the project: the outs are read from the
 * scratch folder into the cache, and the engine writes them to their project paths (atomically)
 * only after the stage succeeded.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { interpolate, invocationText, type CommandSpec } from "../core/command.ts";
import { CancelledError } from "../core/errors.ts";
import { LOG_TAIL_LINES } from "../core/events.ts";
import type { AnyStage, InputSlot, OutputSlot, StageContext } from "../core/stage.ts";
import { commandFailure } from "./failure.ts";
import { checkProgram, collectOuts, placeDeps } from "./files.ts";
import { commandParamsSchema } from "./params.ts";
import { runProcess } from "./process.ts";

/** The name command stages are `uses:`d by; no built-in or plugin stage can take it. */
export const COMMAND_STAGE = "cmd";
/** Bump when how a command is run or its outs are read changes their results: every command stage reruns. */
const COMMAND_STAGE_VERSION = "1";
/** This module: a command stage's code fingerprint starts here (the runner, not the user's command). */
export const COMMAND_STAGE_MODULE = fileURLToPath(import.meta.url);
/** How often the command's latest output lines are sent on (the row shows the last one). */
const LOG_FLUSH_MS = 100;

/** The stage `name` runs; `tmpDir` is the cache's temp folder (scratch folders are made in it). */
export function commandStage(name: string, spec: CommandSpec, tmpDir: string): AnyStage {
  const inputs: Record<string, InputSlot> = {};
  for (const [dep, d] of Object.entries(spec.deps)) {
    inputs[dep] =
      d.kind === "file" ? { kind: "path", description: `project file ${d.path}` } : { kind: d.as, description: `${d.ref}, as ${d.path}` };
  }
  const outputs: Record<string, OutputSlot> = {};
  for (const [out, o] of Object.entries(spec.outs)) outputs[out] = { kind: o.kind, description: `${o.path}, written by the command` };
  const shown = typeof spec.cmd === "string" ? spec.cmd : spec.cmd.join(" ");
  return {
    name: COMMAND_STAGE,
    version: COMMAND_STAGE_VERSION,
    summary: `runs \`${shown}\``,
    params: commandParamsSchema(spec.declaredParams),
    inputs,
    outputs,
    run: (ctx) => runCommand(name, spec, tmpDir, ctx as StageContext<Record<string, unknown>, Record<string, unknown>>),
  };
}

async function runCommand(
  name: string,
  spec: CommandSpec,
  tmpDir: string,
  ctx: StageContext<Record<string, unknown>, Record<string, unknown>>,
) {
  await mkdir(tmpDir, { recursive: true });
  const scratch = await mkdtemp(join(tmpDir, `cmd-${name}-`));
  try {
    await placeDeps(spec, ctx.inputs, scratch);
    const invocation = interpolate(spec, ctx.params);
    const program = "shell" in invocation ? "/bin/sh" : invocation.argv[0]!;
    await checkProgram(program, scratch);
    ctx.log(`$ ${invocationText(invocation)}`);
    const lines = batchedLog(ctx.log);
    const env = { ...process.env, PIPELINE_STAGE: name, PIPELINE_SEED: String(ctx.seed) };
    const result = await runProcess(invocation, { cwd: scratch, env, signal: ctx.signal, onLines: lines.add }).finally(lines.flush);
    if (result.aborted) throw new CancelledError(`stage ${name}`);
    const failure = commandFailure(result, program, "shell" in invocation);
    if (failure) throw failure;
    return await collectOuts(spec, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Output lines gathered and sent on at most every LOG_FLUSH_MS, so a chatty command costs few messages. */
function batchedLog(log: (message: string) => void): { add: (lines: readonly string[]) => void; flush: () => void } {
  let pending: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length > 0) log(pending.join("\n"));
    pending = [];
  };
  return {
    add: (lines) => {
      pending.push(...lines);
      if (pending.length > LOG_TAIL_LINES) pending = pending.slice(-LOG_TAIL_LINES); // only the tail is kept anyway
      timer ??= setTimeout(flush, LOG_FLUSH_MS);
    },
    flush,
  };
}
