import { describe, expect, it } from "vitest";
import { CancelledError } from "../../../src/core/errors.ts";
import { createRng } from "../../../src/core/rng.ts";
import { standardize, type StandardizeResult } from "../../../src/numeric/standardize.ts";
import { standardizeParallel } from "../../../src/numeric/standardize-parallel.ts";
import { GOLDEN_SETS, goldenInput, loadGolden } from "./golden.ts";

// the helper worker runs dist/src/numeric/standardize-worker.js: `npm run build` first

const TOL = 1e-5;

/**
 * 9000 x 37: two z-score tasks (8192 rows each) and column tasks that do not line up with the
 * 16-column gather blocks; NaNs, ties, negatives, a constant, an all-NaN and an infinite column.
 */
function awkward(rows = 9000, cols = 37): Float32Array {
  const rng = createRng(11);
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = c % 3 === 0 ? Math.floor(rng.next() * 5) : (rng.next() - 0.5) * (c + 1) * 100;
      data[r * cols + c] = rng.next() < 0.08 ? Number.NaN : v;
    }
    data[r * cols + 5] = 3; // constant: dropped
    data[r * cols + 17] = Number.NaN; // all-NaN: dropped
    if (r === 42) data[r * cols + 30] = Number.POSITIVE_INFINITY; // std NaN: dropped
  }
  return data;
}

function bytesOf(result: StandardizeResult): Buffer[] {
  const view = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return [result.data, result.medians, result.means, result.stds, result.kept, result.dropped].map(view);
}

function expectSameBytes(a: StandardizeResult, b: StandardizeResult): void {
  const [left, right] = [bytesOf(a), bytesOf(b)];
  left.forEach((bytes, i) => expect(bytes.equals(right[i]!), `field ${i}`).toBe(true));
}

describe("standardizeParallel", () => {
  const rows = 9000;
  const cols = 37;
  const data = awkward(rows, cols);
  const single = standardize(data, rows, cols);

  it.each([1, 2, 3])("gives the bytes of the one-thread code with %i thread(s)", async (threads) => {
    const result = await standardizeParallel(data, rows, cols, { threads, minValues: 0 });
    expectSameBytes(result, single);
    expect(Array.from(result.dropped)).toEqual([5, 17, 30]);
    // shared memory only comes out of the threaded path: this checks that it really ran
    expect(result.data.buffer instanceof SharedArrayBuffer).toBe(threads > 1);
  });

  // on a small input the caller may finish every task before a helper has started
  it.each([2, 3])("gives the same bytes when %i thread(s) leave all the tasks to the helpers", async (threads) => {
    expectSameBytes(await standardizeParallel(data, rows, cols, { threads, minValues: 0, helpersOnly: true }), single);
  });

  it("uses one thread below the size threshold", async () => {
    const result = await standardizeParallel(data, rows, cols, { threads: 2 });
    expect(result.data.buffer instanceof SharedArrayBuffer).toBe(false);
    expectSameBytes(result, single);
  });

  it("reads shared input in place and gives the same bytes", async () => {
    const shared = new Float32Array(new SharedArrayBuffer(data.byteLength));
    shared.set(data);
    expectSameBytes(await standardizeParallel(shared, rows, cols, { threads: 2, minValues: 0 }), single);
  });

  it("reports rising progress, statistics first, up to at most 1", async () => {
    const seen: [number, string][] = [];
    await standardizeParallel(data, rows, cols, { threads: 2, minValues: 0, onProgress: (f, detail) => seen.push([f, detail]) });
    expect(seen.length).toBeGreaterThan(0);
    const fractions = seen.map(([f]) => f);
    expect(fractions.every((f, i) => f > 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!))).toBe(true);
    expect(seen[0]![1]).toBe("column statistics");
    expect(seen.at(-1)![1]).toBe("z-scores");
  });

  it("stops with a CancelledError when aborted before or during the work", async () => {
    const before = new AbortController();
    before.abort();
    for (const threads of [1, 2]) {
      await expect(standardizeParallel(data, rows, cols, { threads, minValues: 0, signal: before.signal })).rejects.toThrow(CancelledError);
    }
    const during = new AbortController();
    const run = standardizeParallel(data, rows, cols, {
      threads: 2,
      minValues: 0,
      signal: during.signal,
      onProgress: () => during.abort(),
    });
    await expect(run).rejects.toThrow(CancelledError);
  });

  it("stops waiting for the helpers when aborted", async () => {
    const waiting = new AbortController();
    setTimeout(() => waiting.abort(), 1); // the helper is still starting then
    const run = standardizeParallel(data, rows, cols, { threads: 2, minValues: 0, helpersOnly: true, signal: waiting.signal });
    await expect(run).rejects.toThrow(CancelledError);
  });
});

describe.each(GOLDEN_SETS)("standardizeParallel vs the seed's numpy code (%s)", (name) => {
  const golden = loadGolden(name);
  const input = goldenInput(golden);

  it.each([2, 3])("matches the one-thread bytes and numpy's z-scores with %i threads", async (threads) => {
    const result = await standardizeParallel(input, golden.rows, golden.cols, { threads, minValues: 0, helpersOnly: true });
    expect(result.data.buffer instanceof SharedArrayBuffer).toBe(true);
    expectSameBytes(result, standardize(input, golden.rows, golden.cols));
    expect(Array.from(result.kept)).toEqual(golden.standardize.kept);
    expect(result.data.length).toBe(golden.standardize.z.length);
    let worst = 0;
    golden.standardize.z.forEach((z, i) => (worst = Math.max(worst, Math.abs(result.data[i]! - z))));
    expect(worst).toBeLessThanOrEqual(TOL);
  });
});
