import type { Rng } from "../core/rng.ts";
import { heldOutHost, heldOutSample, randomRowSplit } from "./recipes.ts";
import { windowRoles } from "./roles.ts";
import type { ValidationRows } from "./validation.ts";

export { ROLE, ROLE_NAMES, countRoles, rowsWithRole, windowRoles, type RoleCode, type RoleName } from "./roles.ts";
export { parseValidationTable, usableRows, USABLE_STATUSES, type ValidationRows } from "./validation.ts";
export { heldOutHost, heldOutSample, randomRowSplit, RANDOM_TEST_FRACTION, SAMPLE_TEST_FRACTION } from "./recipes.ts";
export { heldOutGroupCount, pickSampleGroups } from "./groups.ts";

export const SPLIT_RECIPES = ["host", "random", "sample"] as const;

export type SplitRecipe = (typeof SPLIT_RECIPES)[number];

export interface SplitRequest {
  readonly recipe: SplitRecipe;
  /** the episode of each window, in window order */
  readonly windowEpisodes: readonly string[];
  /** needed by host and sample; random ignores it */
  readonly validation?: ValidationRows;
  readonly trainHosts: readonly string[];
  readonly valFraction: number;
  readonly rng: Rng;
  /** how to name the validation table in messages */
  readonly file: string;
}

/** The role (ROLE code) of every window under the chosen recipe. */
export function splitWindows(request: SplitRequest): Int8Array {
  if (request.recipe === "random") return randomRowSplit(request.windowEpisodes.length, request.rng);
  if (!request.validation) throw new TypeError(`split ${request.recipe} needs the validation table`);
  const options = { valFraction: request.valFraction, rng: request.rng, file: request.file };
  const episodeRoles =
    request.recipe === "host" ? heldOutHost(request.validation, request.trainHosts, options) : heldOutSample(request.validation, options);
  return windowRoles(request.windowEpisodes, episodeRoles);
}
