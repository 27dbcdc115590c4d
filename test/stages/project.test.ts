import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import project from "../../stages/project.ts";
import { stageContext } from "../helpers/stage-context.ts";
import { blobs, sameBytes } from "./linear-fixture.ts";

function axisRange(xyz: Float32Array, axis: number): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = axis; i < xyz.length; i += 3) {
    lo = Math.min(lo, xyz[i]!);
    hi = Math.max(hi, xyz[i]!);
  }
  return [lo, hi];
}

describe("project stage", () => {
  const data = blobs(3000, 12, 5);
  const inputs = { features: data.features, meta: { phase: data.phase } };

  it.each(["pca", "lda"] as const)("%s: spans [0, 1] exactly on each axis when every row is in the fit", async (method) => {
    const out = await project.run(stageContext(project.params.parse({ method }), inputs, 1));
    expect(out.xyz.rows).toBe(3000);
    expect(out.xyz.cols).toBe(3);
    for (let k = 0; k < 3; k++) expect(axisRange(out.xyz.data, k)).toEqual([0, 1]);
    const info = out.info as Record<string, unknown>;
    expect(info.method).toBe(method);
    expect(info.fit_rows).toBe(3000);
    const ratios = (method === "pca" ? info.explained_variance_ratio : info.explained_class_variance) as number[];
    expect(ratios).toHaveLength(3);
    expect(ratios[0]!).toBeGreaterThanOrEqual(ratios[1]!);
  });

  it("fits on a seeded sample and clips the other rows to [0, 1]", async () => {
    const params = project.params.parse({ method: "lda", sample_for_fit: 200 });
    const a = await project.run(stageContext(params, inputs, 9));
    const b = await project.run(stageContext(params, inputs, 9));
    const c = await project.run(stageContext(params, inputs, 10));
    expect((a.info as { fit_rows: number }).fit_rows).toBe(200);
    expect(sameBytes(a.xyz.data, b.xyz.data)).toBe(true);
    expect(sameBytes(a.xyz.data, c.xyz.data)).toBe(false); // another seed, another sample
    expect(Array.from(a.xyz.data).every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it("lda with two phases keeps one axis and pads the others with zeros", async () => {
    const two = blobs(1000, 6, 2);
    const out = await project.run(stageContext(project.params.parse({}), { features: two.features, meta: { phase: two.phase } }));
    const info = out.info as { components: number; explained_class_variance: number[] };
    expect(info.components).toBe(1);
    expect(info.explained_class_variance).toHaveLength(1);
    expect(info.explained_class_variance[0]!).toBeCloseTo(1, 12);
    expect(axisRange(out.xyz.data, 0)).toEqual([0, 1]);
    expect(axisRange(out.xyz.data, 1)).toEqual([0, 0]);
    expect(axisRange(out.xyz.data, 2)).toEqual([0, 0]);
  });

  it("lda with a single phase fails with a hint to use pca", async () => {
    const one = { features: data.features, meta: { phase: new Int8Array(3000) } };
    await expect(async () => project.run(stageContext(project.params.parse({}), one))).rejects.toThrow(InputError);
    await expect(async () => project.run(stageContext(project.params.parse({}), one))).rejects.toThrow(/at least two phases/);
  });

  it("rejects unknown params", () => {
    expect(() => project.params.parse({ method: "tsne" })).toThrow();
    expect(() => project.params.parse({ samples: 10 })).toThrow();
  });
});
