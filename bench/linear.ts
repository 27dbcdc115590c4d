/**
 * Benchmark piece: standardize, PCA, LDA and mini-batch k-means on the demo data.
 *
 *   node dist/bench/linear.js --data DIR --out FILE.json [--compare SKLEARN.json] [--export-raw DIR2]
 *
 * DIR holds features_window_v1.parquet and feature_schema_v1.json. Timed, one core, as the
 * stages run them (same sample sizes and params as pipeline.yaml's defaults):
 *   standardize  NaN → median, z-score, drop constant columns, all rows
 *   standardize_2_threads  the same on 2 threads, as the stage runs it (helper start and the
 *                copy into shared memory included); its bytes are checked against the above
 *   pca          fit on a 50k seeded sample + transform all rows
 *   lda          fit on the same 50k sample (phase labels) + transform all rows
 *   kmeans       MiniBatchKMeans k 8, batch 2048, n_init 4, max_iter 200 on a 100k sample,
 *                + predict all rows
 * With --compare (bench/python/sklearn_linear.py's output) it adds ours/sklearn time ratios.
 * --export-raw writes the raw matrix (features.f32, phase.i8, shape.json) and exits: the
 * Python peer uses it because Debian's python3 has no parquet reader.
 */
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createRng } from "../src/core/rng.ts";
import { readDemoWindows } from "./demo-windows.ts";
import { predictCanonical } from "../src/numeric/kmeans-predict.ts";
import { fitLda } from "../src/numeric/lda.ts";
import { applyLinearMap } from "../src/numeric/linear-map.ts";
import { fitMiniBatchKMeans } from "../src/numeric/minibatch-kmeans.ts";
import { fitPca } from "../src/numeric/pca.ts";
import { standardize } from "../src/numeric/standardize.ts";
import { standardizeParallel } from "../src/numeric/standardize-parallel.ts";

const { values } = parseArgs({
  options: { data: { type: "string" }, out: { type: "string" }, compare: { type: "string" }, "export-raw": { type: "string" } },
});
if (!values.data) throw new Error("bench/linear: --data DIR is required");

interface Raw {
  rows: number;
  cols: number;
  data: Float32Array;
  phase: Int8Array;
}

async function loadDemo(dir: string): Promise<Raw> {
  const { features, phase } = await readDemoWindows(dir);
  return { ...features, phase };
}

function timed<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const result = fn();
  return [result, (performance.now() - start) / 1000];
}

/** Seconds of standardize on 2 threads; throws unless it gives the bytes of the 1-thread run. */
async function timeStandardize2Threads(raw: Raw, reference: Float32Array): Promise<number> {
  const start = performance.now();
  const { data } = await standardizeParallel(raw.data, raw.rows, raw.cols, { threads: 2 });
  const seconds = (performance.now() - start) / 1000;
  const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  if (!bytes(data).equals(bytes(reference))) throw new Error("bench/linear: standardize on 2 threads gave other bytes than on 1");
  return seconds;
}

async function exportRaw(raw: Raw, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "features.f32"), new Uint8Array(raw.data.buffer));
  await writeFile(join(dir, "phase.i8"), new Uint8Array(raw.phase.buffer));
  await writeFile(join(dir, "shape.json"), JSON.stringify({ rows: raw.rows, cols: raw.cols }));
}

async function runAll(raw: Raw): Promise<Record<string, unknown>> {
  const [z, standardizeSeconds] = timed(() => standardize(raw.data, raw.rows, raw.cols));
  const standardize2Seconds = await timeStandardize2Threads(raw, z.data);
  const cols = z.kept.length;
  const fitRows = createRng(0).sample(raw.rows, 50_000);
  const [pca, pcaSeconds] = timed(() => applyLinearMap(z.data, raw.rows, fitPca(z.data, raw.rows, cols, fitRows, 3)));
  const [, ldaSeconds] = timed(() => applyLinearMap(z.data, raw.rows, fitLda(z.data, raw.rows, cols, fitRows, raw.phase, 3)));
  const sampleIds = createRng(1).sample(raw.rows, 100_000);
  const [kmeans, kmeansSeconds] = timed(() => {
    // the sample is read in place through its row ids, as the cluster stage does
    const sample = { data: z.data, cols, rowIndex: sampleIds, count: sampleIds.length };
    const fit = fitMiniBatchKMeans(sample, { k: 8, batchSize: 2048, nInit: 4, maxIter: 200, rng: createRng(2) });
    return { fit, labels: predictCanonical(z.data, raw.rows, cols, fit.centres, 8) };
  });
  return {
    rows: raw.rows,
    features_in: raw.cols,
    features_kept: cols,
    seconds: {
      standardize: standardizeSeconds,
      standardize_2_threads: standardize2Seconds,
      pca: pcaSeconds,
      lda: ldaSeconds,
      kmeans: kmeansSeconds,
    },
    kmeans: { inertia_fit_sample: kmeans.fit.inertia, n_steps: kmeans.fit.nSteps, n_iter: kmeans.fit.nIter },
    pca_checksum: pca.reduce((a, v) => a + Math.abs(v), 0),
  };
}

function ratios(ours: Record<string, number>, theirs: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.keys(ours)
      .filter((k) => theirs[k]! > 0)
      .map((k) => [k, ours[k]! / theirs[k]!]),
  );
}

const loadStart = performance.now();
const raw = await loadDemo(values.data);
const loadSeconds = (performance.now() - loadStart) / 1000;
if (values["export-raw"]) {
  await exportRaw(raw, values["export-raw"]);
} else {
  const result = await runAll(raw);
  const output: Record<string, unknown> = { piece: "linear", load_seconds: loadSeconds, ...result };
  if (values.compare) {
    const sklearn = JSON.parse(readFileSync(values.compare, "utf8")) as { seconds?: Record<string, number> };
    if (sklearn.seconds) output.ratio_ours_over_sklearn = ratios(result.seconds as Record<string, number>, sklearn.seconds);
  }
  const text = `${JSON.stringify(output, null, 2)}\n`;
  if (values.out) await writeFile(values.out, text);
  else process.stdout.write(text);
}
