/** Small real knn_v1.parquet files for publish and stream tests, written with writeParquet. */
import { createRng } from "../../../src/core/rng.ts";
import { writeParquet } from "../../../src/io/parquet.ts";

export interface FitColumns {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly z: Float32Array;
  readonly phase_int: Int8Array;
  readonly predicted_int: Int8Array;
  readonly cluster: Int32Array;
}

/**
 * `rows` windows with seeded coordinates in [0, 1), phases cycling through every code 0..5
 * (5 = failed, which the dashboard does not know) and predictions shifted by one.
 */
export function makeFit(rows: number, seed = 7): { bytes: Uint8Array; columns: FitColumns } {
  const rng = createRng(seed);
  const columns: FitColumns = {
    x: Float32Array.from({ length: rows }, () => rng.next()),
    y: Float32Array.from({ length: rows }, () => rng.next()),
    z: Float32Array.from({ length: rows }, () => rng.next()),
    phase_int: Int8Array.from({ length: rows }, (_, i) => i % 6),
    predicted_int: Int8Array.from({ length: rows }, (_, i) => (i + 1) % 6),
    cluster: Int32Array.from({ length: rows }, (_, i) => i % 8),
  };
  const ids = Array.from({ length: rows }, (_, i) => `ep-${Math.floor(i / 10)}`);
  const bytes = writeParquet([
    { name: "episode_id", type: "utf8", values: ids },
    { name: "host_id", type: "utf8", values: ids.map((_, i) => `host-${i % 3}`) },
    { name: "profile", type: "utf8", values: ids.map(() => "default") },
    { name: "x", type: "float32", values: columns.x },
    { name: "y", type: "float32", values: columns.y },
    { name: "z", type: "float32", values: columns.z },
    { name: "phase_int", type: "int8", values: columns.phase_int },
    { name: "predicted_int", type: "int8", values: columns.predicted_int },
    { name: "cluster", type: "int32", values: columns.cluster },
    { name: "is_train", type: "bool", values: Uint8Array.from({ length: rows }, (_, i) => i % 2) },
  ]);
  return { bytes, columns };
}

/** evaluate's metrics, trimmed to what publish reads plus a field it ignores. */
export const SAMPLE_METRICS = {
  split: "host",
  macro_f1: 0.762,
  latency: { single_window_ms: 61.5, batch64_per_window_ms: 3.41, train_rows: 1000 },
};
