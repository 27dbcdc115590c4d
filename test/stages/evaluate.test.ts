import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/hash.ts";
import { bruteForceKnn, weightedVote } from "../../src/knn/index.ts";
import { classificationReport, type EvaluationMetrics } from "../../src/metrics/index.ts";
import { ROLE, rowsWithRole } from "../../src/split/index.ts";
import { PHASE_COUNT } from "../../src/core/phases.ts";
import classify from "../../stages/classify.ts";
import evaluate from "../../stages/evaluate.ts";
import { stageContext } from "../helpers/stage-context.ts";
import { classifyInputs, DIMS } from "../unit/split/stage-inputs.ts";

const inputs = classifyInputs();

async function runBoth(split: "host" | "random" = "host") {
  const classifyParams = classify.params.parse({ split });
  const classified = await classify.run(stageContext(classifyParams, inputs, 3));
  const evalInputs = {
    features: inputs.features,
    meta: inputs.meta,
    predictions: classified.predictions,
    neighbours: classified.neighbours,
  };
  const metrics = (await evaluate.run(stageContext(evaluate.params.parse({}), evalInputs, 3))).metrics as EvaluationMetrics;
  return { classified, metrics };
}

describe("evaluate stage", () => {
  it("scores the train-only KNN on the test windows", async () => {
    const { classified, metrics } = await runBoth();
    const role = classified.predictions.role as Int8Array;
    const phase = inputs.meta.phase as Int8Array;
    const train = rowsWithRole(role, ROLE.train);
    const test = rowsWithRole(role, ROLE.test);
    // an independent train-only search (no val), as the seed's `metric` fits it
    const queryData = Float32Array.from(Array.from(test).flatMap((q) => [...inputs.features.data.subarray(q * DIMS, q * DIMS + DIMS)]));
    const votes = weightedVote(bruteForceKnn(inputs.features.data, DIMS, train, queryData, 10), 10, phase, PHASE_COUNT);
    const expected = classificationReport(
      Int8Array.from(test, (r) => phase[r]!),
      votes,
    );
    expect(metrics).toMatchObject({ split: "host", k: 10, n_train: train.length, n_test: test.length });
    expect(metrics.macro_f1).toBe(expected.macroF1);
    expect(metrics.confusion.matrix).toEqual(expected.confusion);
    expect(metrics.per_class.map((c) => c.f1)).toEqual(expected.perClass.map((c) => c.f1));
  });

  it("names classes by phase and keeps the metrics json shape", async () => {
    const { metrics } = await runBoth("random");
    expect(Object.keys(metrics).sort()).toEqual(["confusion", "k", "latency", "macro_f1", "n_test", "n_train", "per_class", "split"]);
    expect(metrics.split).toBe("random");
    expect(metrics.confusion.labels).toEqual(metrics.per_class.map((c) => c.phase));
    expect(metrics.per_class.map((c) => c.code)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(metrics.confusion.labels).toEqual(["clean", "armed", "infecting", "infected_running", "dormant", "failed"]);
    expect(metrics.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(metrics.n_test);
    expect(metrics.per_class.reduce((a, c) => a + c.support, 0)).toBe(metrics.n_test);
    expect(metrics.latency.train_rows).toBe(metrics.n_train);
    expect(metrics.latency.single_window_ms).toBeGreaterThanOrEqual(0);
    expect(metrics.latency.batch64_per_window_ms).toBeGreaterThanOrEqual(0);
    expect(() => canonicalJson(metrics)).not.toThrow(); // the engine stores json canonically: no NaN
  });

  it("gives the same scores on a rerun (only the latency is measured anew)", async () => {
    const a = (await runBoth()).metrics;
    const b = (await runBoth()).metrics;
    expect({ ...a, latency: null }).toEqual({ ...b, latency: null });
  });
});
