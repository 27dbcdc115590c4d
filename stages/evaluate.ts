import { z } from "zod";
import { InputError } from "../src/core/errors.ts";
import { numbersAt, numbersByName } from "../src/core/metric-values.ts";
import { defineStage, slot } from "../src/core/stage.ts";
import { ROLE, rowsWithRole } from "../src/split/index.ts";
import { decodeNeighbours } from "../src/split/neighbours.ts";

/**
 * The seed's `metric`: a KNN fitted on train only, scored on test, plus measured latency.
 *
 * NOTE: the latency fields are wall-clock measurements, so this stage's output differs from
 * run to run by nature. It is cached like any stage precisely so that a rerun with unchanged
 * inputs reuses the recorded measurement instead of producing new numbers (and so
 * metrics_v1.json stays stable until something upstream changes).
 */
export default defineStage({
  name: "evaluate",
  version: "1",
  summary: "macro F1, per-class scores, confusion matrix and latency of the train-only KNN on the test windows",
  params: z.strictObject({}),
  inputs: {
    features: slot.matrix("standardized features, one row per window"),
    meta: slot.table("per-window phase"),
    predictions: slot.table("classify's predictions (its role column marks train rows)"),
    neighbours: slot.table("classify's train-only top-k of each test window"),
  },
  outputs: {
    metrics: slot.json("split, k, n_train, n_test, macro_f1, per_class, confusion, latency", {
      measured: ["latency"],
      fields: ["split", "k", "n_train", "n_test", "macro_f1", "per_class", "confusion", "latency"],
      metrics: (m) => ({
        ...numbersAt(m, ["macro_f1", "latency.single_window_ms", "latency.batch64_per_window_ms"]),
        ...numbersByName((m as { per_class?: unknown }).per_class, "phase", "f1", "f1"),
      }),
      headline: ["macro_f1", "latency.batch64_per_window_ms"],
    }),
  },
  async run({ inputs, threads, now, progress }) {
    const { phase } = inputs.meta;
    const { role } = inputs.predictions;
    if (!(phase instanceof Int8Array) || !(role instanceof Int8Array)) {
      throw new InputError(
        "evaluate: meta lacks an Int8 phase column or predictions an Int8 role column",
        "wire evaluate's inputs to load.meta and classify.predictions",
      );
    }
    // the KNN engine (and ml-matrix behind it) is imported here, not at the top, so listing the
    // stages (every CLI call does) stays cheap. (".js": tsc does not rewrite the extension of an
    // import() that leaves this folder)
    const { evaluationMetrics, measureLatency, scoreTestWindows } = await import("../src/metrics/index.js");
    const neighbours = decodeNeighbours(inputs.neighbours);
    const report = scoreTestWindows(neighbours, phase);
    progress(0.2, "latency");
    const train = rowsWithRole(role, ROLE.train);
    const latency = await measureLatency({
      features: inputs.features,
      reference: train,
      queryRows: neighbours.testRows,
      k: neighbours.k,
      threads,
      now,
    });
    progress(1);
    return {
      metrics: evaluationMetrics({
        split: neighbours.split,
        k: neighbours.k,
        nTrain: train.length,
        nTest: neighbours.testRows.length,
        report,
        latency,
      }),
    };
  },
});
