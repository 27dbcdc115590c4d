import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { bruteForceKnn, weightedVote } from "../../src/knn/index.ts";
import { ROLE, rowsWithRole } from "../../src/split/index.ts";
import { decodeNeighbours } from "../../src/split/neighbours.ts";
import { PHASE_COUNT } from "../../src/core/phases.ts";
import classify from "../../stages/classify.ts";
import { stageContext } from "../helpers/stage-context.ts";
import { classifyInputs, DIMS, writeValidation } from "../unit/split/stage-inputs.ts";

type Params = Parameters<typeof classify.run>[0]["params"];
const inputs = classifyInputs();

async function runClassify(overrides: Record<string, unknown> = {}, stageInputs = inputs, threads = 2) {
  const params = classify.params.parse(overrides) as Params;
  const ctx = { ...stageContext(params, stageInputs, 7), threads };
  return classify.run(ctx);
}

async function failure(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe("classify stage (host split)", () => {
  it("keeps training labels, votes with train+val for the rest, and marks roles", async () => {
    const out = await runClassify();
    const { predicted, is_train: isTrain, role } = out.predictions as { predicted: Int8Array; is_train: Uint8Array; role: Int8Array };
    const phase = inputs.meta.phase as Int8Array;
    expect(predicted.length).toBe(inputs.features.rows);
    const fitRows = Int32Array.from([...rowsWithRole(role, ROLE.train), ...rowsWithRole(role, ROLE.val)]).sort();
    role.forEach((r, i) => expect(isTrain[i]).toBe(r === ROLE.train || r === ROLE.val ? 1 : 0));
    for (const row of fitRows) expect(predicted[row]).toBe(phase[row]);
    // the merged two-group vote must equal one search over the union of train and val
    const queries = Int32Array.from(Array.from(role).flatMap((r, i) => (r >= ROLE.test ? [i] : [])));
    const queryData = Float32Array.from(Array.from(queries).flatMap((q) => [...inputs.features.data.subarray(q * DIMS, q * DIMS + DIMS)]));
    const union = weightedVote(bruteForceKnn(inputs.features.data, DIMS, fitRows, queryData, 10), 10, phase, PHASE_COUNT);
    queries.forEach((q, i) => expect(predicted[q]).toBe(union[i]));
  });

  it("never trains on rejected or unknown episodes", async () => {
    const out = await runClassify();
    const role = out.predictions.role as Int8Array;
    const episodes = inputs.meta.episode_id as string[];
    episodes.forEach((episode, i) => {
      if (episode === "ep-unknown" || Number(episode.slice(3)) % 5 === 4) expect(role[i]).toBe(ROLE.other);
    });
    expect(out.info).toMatchObject({ split: "host", k: 10, train_hosts: ["elliott-thinkpad", "lab-node-01", "lab-node-02"] });
    const counts = (out.info as { counts: Record<string, number> }).counts;
    expect(counts.train! + counts.val! + counts.test! + counts.other!).toBe(inputs.features.rows);
    expect(counts.other).toBeGreaterThan(0);
  });

  it("hands evaluate the train-only top-k of exactly the test windows", async () => {
    const out = await runClassify();
    const role = out.predictions.role as Int8Array;
    const neighbours = decodeNeighbours(out.neighbours);
    expect(neighbours).toMatchObject({ k: 10, split: "host" });
    expect(neighbours.testRows).toEqual(rowsWithRole(role, ROLE.test));
    const train = rowsWithRole(role, ROLE.train);
    const trainSet = new Set(train);
    for (const id of neighbours.result.indices) expect(trainSet.has(id)).toBe(true);
    const first = neighbours.testRows[0]!;
    const expected = bruteForceKnn(inputs.features.data, DIMS, train, inputs.features.data.slice(first * DIMS, first * DIMS + DIMS), 10);
    expect(neighbours.result.indices.subarray(0, 10)).toEqual(expected.indices);
  });

  it("gives identical outputs on a rerun and with one thread", async () => {
    const a = await runClassify();
    expect(await runClassify()).toEqual(a);
    expect(await runClassify({}, inputs, 1)).toEqual(a);
  });
});

describe("classify stage (other recipes and errors)", () => {
  it("random split ignores the validation file and holds out 20% of rows", async () => {
    const noFile = { ...inputs, validation: { path: "/nonexistent/validation_v1.parquet", display: "validation_v1.parquet" } };
    const out = await runClassify({ split: "random" }, noFile);
    const counts = (out.info as { counts: Record<string, number> }).counts;
    expect(counts).toEqual({
      train: inputs.features.rows - Math.round(inputs.features.rows * 0.2),
      val: 0,
      test: Math.round(inputs.features.rows * 0.2),
      other: 0,
    });
  });

  it("sample split holds whole samples out", async () => {
    const out = await runClassify({ split: "sample" });
    const role = out.predictions.role as Int8Array;
    expect(rowsWithRole(role, ROLE.test).length).toBeGreaterThan(0);
    expect(decodeNeighbours(out.neighbours).split).toBe("sample");
  });

  it("fails with the file name when a validation column is missing", async () => {
    const validation = writeValidation({ episode_id: ["e"], host_id: ["h"], profile: ["p"], status: ["accepted"] });
    const error = await failure(runClassify({}, { ...inputs, validation }));
    expect(error.message).toBe("data/demo/validation_v1.parquet: missing column sample_name");
  });

  it("fails with the file name when the validation file is not parquet", async () => {
    const validation = writeValidation({ episode_id: ["e"] });
    writeFileSync(validation.path, "episode_id\ne\n");
    const error = await failure(runClassify({}, { ...inputs, validation }));
    expect(error.message).toContain("data/demo/validation_v1.parquet: cannot read it as parquet");
  });

  it("fails when the split leaves fewer training windows than k", async () => {
    const error = await failure(runClassify({ k: 5000 }));
    expect(error.message).toMatch(/fewer than classify\.k=5000/);
    expect(error.hint).toContain("lower classify.k");
  });

  it("fails when train_hosts names an unknown host, naming the parameter", async () => {
    const error = await failure(runClassify({ train_hosts: ["lab-node-01", "typo-host"] }));
    expect(error.message).toContain('"typo-host"');
    expect(error.message).toContain("data/demo/validation_v1.parquet");
  });

  it("rejects unknown and out-of-range params through its schema", () => {
    expect(() => classify.params.parse({ kk: 3 })).toThrow();
    expect(() => classify.params.parse({ val_fraction: 1 })).toThrow();
    expect(() => classify.params.parse({ split: "time" })).toThrow();
  });
});
