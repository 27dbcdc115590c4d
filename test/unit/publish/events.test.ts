import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/core/errors.ts";
import { writeParquet } from "../../../src/io/parquet.ts";
import { buildEmbeddingEvents, buildEvents, buildModelEvents, dashboardPhase, publishEventSchema } from "../../../src/publish/events.ts";
import { parseModelMetrics, readFit } from "../../../src/publish/inputs.ts";
import { countByType, describeDryRun } from "../../../src/publish/report.ts";
import { makeFit, SAMPLE_METRICS } from "./fit-fixture.ts";

describe("dashboardPhase", () => {
  it.each([
    [0, "clean"],
    [1, "armed"],
    [2, "infecting"],
    [3, "infected_running"],
    [4, "dormant"],
    [5, "clean"], // failed is not in the dashboard's closed enum
    [-1, "clean"],
    [99, "clean"],
    [1.5, "clean"],
  ])("maps code %d to %s", (code, name) => {
    expect(dashboardPhase(code)).toBe(name);
  });
});

describe("buildEvents", () => {
  const { bytes, columns } = makeFit(30);
  const { table, rows } = readFit(bytes, "knn_v1.parquet");
  const metrics = parseModelMetrics(SAMPLE_METRICS, "metrics_v1.json");

  it("reads every row of the fit", () => {
    expect(rows).toBe(30);
  });

  it("makes one valid embedding event per selected row, in selection order, then the two model events", () => {
    const selection = [2, 5, 11, 29];
    const events = buildEvents(table, metrics, selection);
    expect(events.map((e) => e.type)).toEqual(["embedding", "embedding", "embedding", "embedding", "model_metric", "model_perf"]);
    for (const event of events) expect(publishEventSchema.safeParse(event).success).toBe(true);
    const row = 11; // phase 11 % 6 = 5 (failed) → clean; predicted (11 + 1) % 6 = 0 → clean
    expect(events[2]).toEqual({
      type: "embedding",
      x: columns.x[row],
      y: columns.y[row],
      z: columns.z[row],
      phase: "clean",
      predicted: "clean",
      cluster: row % 8,
    });
    expect(events[0]).toMatchObject({ phase: "infecting", predicted: "infected_running", cluster: 2 }); // row 2
    expect(events[1]).toMatchObject({ phase: "clean", predicted: "clean", cluster: 5 }); // row 5: failed → clean, predicted 0
    expect(buildEmbeddingEvents(table, [4])[0]).toMatchObject({ phase: "dormant", predicted: "clean" }); // predicted 5 → clean
  });

  it("sends accuracy = macro F1 and latency_us = batch-64 latency per window in microseconds", () => {
    expect(buildModelEvents(metrics)).toEqual([
      { type: "model_metric", model: "knn", accuracy: 0.762 },
      { type: "model_perf", model: "knn", latency_us: 3410, accuracy: 0.762 },
    ]);
  });

  it("keeps float32 coordinates exactly (the double of the stored float, as the seed's float())", () => {
    const [event] = buildEmbeddingEvents(table, [0]);
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
    expect(Math.fround(event!.x)).toBe(event!.x);
  });

  it("rejects an event the dashboard would reject", () => {
    expect(
      publishEventSchema.safeParse({ type: "embedding", x: 0, y: 0, z: 0, phase: "failed", predicted: "clean", cluster: 1 }).success,
    ).toBe(false);
    expect(publishEventSchema.safeParse({ type: "model_metric", model: "knn", accuracy: 1, extra: 1 }).success).toBe(false);
  });

  it("counts and previews a dry run", () => {
    const events = buildEvents(table, metrics, [0, 1, 2, 3]);
    expect(countByType(events)).toEqual({ embedding: 4, model_metric: 1, model_perf: 1 });
    const lines = describeDryRun(events, "http://127.0.0.1:1/publish", 2);
    expect(lines[0]).toBe(
      "dry run: would send 6 events to http://127.0.0.1:1/publish (4 embedding, 1 model_metric, 1 model_perf); nothing sent",
    );
    expect(lines.slice(2).map((line) => JSON.parse(line))).toEqual(events.slice(0, 2));
  });
});

describe("bad publish inputs", () => {
  it("names the missing fit column", () => {
    const bytes = writeParquet([
      { name: "x", type: "float32", values: new Float32Array(2) },
      { name: "y", type: "float32", values: new Float32Array(2) },
    ]);
    expect(() => readFit(bytes, "knn_v1.parquet")).toThrow(InputError);
    expect(() => readFit(bytes, "knn_v1.parquet")).toThrow("knn_v1.parquet: column z is missing");
  });

  it("names a fit column of the wrong type", () => {
    const bytes = writeParquet(
      ["x", "y", "z", "phase_int", "predicted_int", "cluster"].map((name) =>
        name === "cluster"
          ? { name, type: "utf8" as const, values: ["a", "b"] }
          : { name, type: "float32" as const, values: new Float32Array(2) },
      ),
    );
    expect(() => readFit(bytes, "fit.parquet")).toThrow("fit.parquet: column cluster should be numeric, found utf8");
  });

  it("says when the fit is not parquet at all", () => {
    expect(() => readFit(new TextEncoder().encode("not parquet"), "knn_v1.parquet")).toThrow(
      /knn_v1.parquet is not a readable parquet file/,
    );
  });

  it("names the missing metrics field", () => {
    expect(() => parseModelMetrics({ macro_f1: 0.5, latency: {} }, "metrics_v1.json")).toThrow(
      /metrics_v1.json: field latency.batch64_per_window_ms/,
    );
    expect(() => parseModelMetrics({ latency: { batch64_per_window_ms: 1 } }, "m.json")).toThrow(/m.json: field macro_f1/);
  });
});
