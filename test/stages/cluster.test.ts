import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import cluster from "../../stages/cluster.ts";
import { stageContext } from "../helpers/stage-context.ts";
import { blobs, sameBytes } from "./linear-fixture.ts";

describe("cluster stage", () => {
  const data = blobs(2500, 10, 6);
  const params = cluster.params.parse({ k: 6, batch_size: 256, sample_for_fit: 1500 });

  it("labels every row with an id in [0, k), numbered by first appearance", async () => {
    const out = await cluster.run(stageContext(params, { features: data.features }, 3));
    const labels = out.labels.cluster as Int32Array;
    expect(labels).toBeInstanceOf(Int32Array);
    expect(labels.length).toBe(2500);
    const order = [...new Set(labels)];
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    const info = out.info as Record<string, number>;
    expect(info.sample_rows).toBe(1500);
    expect(info.n_init).toBe(4);
    expect(info.best_init).toBeGreaterThanOrEqual(0);
    expect(info.n_iter).toBeGreaterThanOrEqual(1);
    expect(info.inertia).toBeGreaterThan(0);
  });

  it("recovers well-separated blobs: each blob lands in one cluster", async () => {
    const out = await cluster.run(stageContext(params, { features: data.features }, 4));
    const labels = out.labels.cluster as Int32Array;
    for (let blob = 0; blob < 6; blob++) {
      const ids = new Set<number>();
      for (let r = blob; r < 2500; r += 6) ids.add(labels[r]!);
      expect(ids.size).toBe(1);
    }
  });

  it("gives identical bytes for the same seed", async () => {
    const a = await cluster.run(stageContext(params, { features: data.features }, 8));
    const b = await cluster.run(stageContext(params, { features: data.features }, 8));
    expect(sameBytes(a.labels.cluster as Int32Array, b.labels.cluster as Int32Array)).toBe(true);
    expect(a.info).toEqual(b.info);
  });

  it("fails clearly with fewer rows than k, naming the param", async () => {
    const few = blobs(5, 3, 2);
    const run = async () => cluster.run(stageContext(cluster.params.parse({}), { features: few.features }));
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(/cluster\.k is 8 but the feature matrix has only 5 rows/);
  });
});
