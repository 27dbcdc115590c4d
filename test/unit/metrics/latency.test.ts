import { describe, expect, it } from "vitest";
import { measureLatency, median } from "../../../src/metrics/index.ts";

function features(rows: number, cols: number) {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 3;
  return { rows, cols, data };
}

describe("median", () => {
  it("takes the middle value, or the mean of the two middle values", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe("measureLatency", () => {
  const reference = Int32Array.from({ length: 300 }, (_, i) => i);
  const queryRows = Int32Array.from({ length: 20 }, (_, i) => 300 + i);

  it("reports the median single search and the median batch search divided by 64", async () => {
    // a clock whose every reading is 1.5 ms after the previous one: each timed search lasts 1.5 ms
    let t = 0;
    const now = () => (t += 1.5);
    const result = await measureLatency({ features: features(320, 8), reference, queryRows, k: 10, threads: 1, now });
    expect(result).toEqual({ single_window_ms: 1.5, batch64_per_window_ms: 1.5 / 64, train_rows: 300 });
  });

  it("measures positive, finite times with a real clock", async () => {
    const result = await measureLatency({
      features: features(320, 8),
      reference,
      queryRows,
      k: 10,
      threads: 1,
      now: () => performance.now(),
    });
    expect(result.train_rows).toBe(300);
    for (const ms of [result.single_window_ms, result.batch64_per_window_ms]) {
      expect(Number.isFinite(ms)).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(0);
    }
  });
});
