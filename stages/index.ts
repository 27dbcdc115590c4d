import type { AnyStage } from "../src/core/stage.ts";
import classify from "./classify.ts";
import cluster from "./cluster.ts";
import evaluate from "./evaluate.ts";
import load from "./load.ts";
import project from "./project.ts";
import publish from "./publish.ts";
import standardize from "./standardize.ts";
import writeFit from "./write-fit.ts";

/** The built-in stages; a stage's file is stages/<name>.ts (the code fingerprint relies on it). */
export const builtinStages: readonly AnyStage[] = [
  load,
  standardize,
  project,
  cluster,
  classify,
  evaluate,
  writeFit,
  publish,
] as unknown as readonly AnyStage[];
