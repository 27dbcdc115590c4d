/**
 * The public API of the package, for a project's own stages:
 * `import { defineStage, slot, z } from "pipeline"`. The README's "Your own stages" section
 * documents all of it; nothing else in the package is a public interface.
 */
export { z } from "zod";
export { matrix } from "./core/artifact.ts";
export type { Column, FileRef, InputKind, Json, Matrix, NumericColumn, SlotKind, SlotValues, Table } from "./core/artifact.ts";
export { InputError } from "./core/errors.ts";
export type { Rng } from "./core/rng.ts";
export { defineStage, slot } from "./core/stage.ts";
export type { InputSlot, InputValues, JsonSlotOptions, OutputSlot, OutputValues, StageContext, StageDef, StageSpec } from "./core/stage.ts";
export { readInputFile } from "./io/input-file.ts";
