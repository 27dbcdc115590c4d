import { constants } from "node:fs";
import { access, chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { FileRef, Json, Matrix, Table } from "../core/artifact.ts";
import type { CommandSpec, DepKind } from "../core/command.ts";
import { jsonFileBytes } from "../engine/outputs.ts";
import { readInputFile } from "../io/input-file.ts";
import { npyFloat32 } from "../io/npy.ts";
import { CommandError } from "./failure.ts";

/**
 * Puts every dep into the scratch folder at the path the command sees it under: project files
 * as the bytes their key names (read through readInputFile, which proves it; mode kept, so a
 * script stays executable), stage outputs as their files (json pretty-printed, a table as
 * parquet, a matrix as a float32 .npy).
 */
export async function placeDeps(spec: CommandSpec, inputs: Readonly<Record<string, unknown>>, scratch: string): Promise<void> {
  for (const [name, dep] of Object.entries(spec.deps)) {
    const target = join(scratch, dep.path);
    await mkdir(dirname(target), { recursive: true });
    if (dep.kind === "file") {
      const file = inputs[name] as FileRef;
      await writeFile(target, await readInputFile(file));
      await chmod(target, (await stat(file.path)).mode & 0o777);
    } else {
      await writeFile(target, await depFileBytes(dep.as, inputs[name]));
    }
  }
  for (const out of Object.values(spec.outs)) await mkdir(dirname(join(scratch, out.path)), { recursive: true });
}

/** The file a stage output becomes for a command. */
async function depFileBytes(kind: DepKind, value: unknown): Promise<Uint8Array> {
  switch (kind) {
    case "file":
      return value as Uint8Array;
    case "json":
      return jsonFileBytes(value);
    case "table": {
      // NOTE: loaded only here: parquet-wasm costs ~0.3 s to import
      const { writeTableParquet } = await import("../io/parquet.ts");
      return writeTableParquet(value as Table);
    }
    case "matrix":
      return npyFloat32(value as Matrix);
  }
}

/** A program given by path (`./run.sh`, `/usr/bin/python3`) that is not there or not executable: said before it is started. */
export async function checkProgram(program: string, scratch: string): Promise<void> {
  if (!program.includes("/")) return; // looked up on PATH: ENOENT says it
  const path = program.startsWith("/") ? program : join(scratch, program);
  try {
    await access(path, constants.X_OK);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw missing
      ? new CommandError(
          `command not found: ${program} (ENOENT)`,
          "a relative program path is relative to the command's working folder: declare it under `deps`, or give its full path",
        )
      : new CommandError(
          `cannot run ${program}: it is not executable`,
          `make it executable (chmod +x), or run it through its interpreter, e.g. [/bin/sh, ${program}]`,
        );
  }
}

/** Every declared out, read from the scratch folder: bytes for a file, the parsed value for json. */
export async function collectOuts(spec: CommandSpec, scratch: string): Promise<Record<string, Uint8Array | Json>> {
  const outputs: Record<string, Uint8Array | Json> = {};
  for (const [name, out] of Object.entries(spec.outs)) {
    const where = `outs.${name} (${out.path})`;
    let bytes: Buffer;
    try {
      bytes = await readFile(join(scratch, out.path));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EISDIR")
        throw new CommandError(
          `the command made ${where} a folder; an out is one file`,
          "write a single file there (an archive, if it must hold several)",
        );
      throw new CommandError(
        `the command exited 0 but did not write ${where}`,
        `write it at that path relative to the working folder the command runs in; \${outs.${name}} in \`cmd\` gives the path`,
      );
    }
    outputs[name] = out.kind === "json" ? parseJsonOut(bytes, where) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  }
  return outputs;
}

function parseJsonOut(bytes: Buffer, where: string): Json {
  let value: Json;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Json;
  } catch (error) {
    throw new CommandError(
      `${where} is declared json but is not valid JSON: ${(error as Error).message}`,
      "write JSON there, or declare the out with `kind: file`",
    );
  }
  const bad = nonFinite(value);
  if (bad) throw new CommandError(`${where} holds ${bad}, a number JSON cannot carry exactly`, "write a finite number (or null) there");
  return value;
}

/** A number that parsed to Infinity (1e999), which canonical JSON cannot hash. */
function nonFinite(value: Json): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : String(value);
  if (Array.isArray(value)) return value.map(nonFinite).find((v) => v !== undefined);
  if (value && typeof value === "object")
    return Object.values(value)
      .map(nonFinite)
      .find((v) => v !== undefined);
  return undefined;
}
