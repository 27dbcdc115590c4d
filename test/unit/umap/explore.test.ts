import { test } from "vitest";
import { projectUmap } from "../../../src/umap/index.ts";
import { labelAgreement } from "../../../src/umap/quality.ts";
import { createRng } from "../../../src/core/rng.ts";
import { bruteForceKnn } from "../../../src/knn/index.ts";
import { classData } from "./class-data.ts";

test("explore", async () => {
  const n = 3000;
  const { features, labels } = classData(n, 24, 7, Number(process.env.SPREAD ?? 0.45));
  const fitRows = createRng(1).sample(n, 1500);
  const inFit = new Set(fitRows);
  const held = Int32Array.from({ length: n }, (_, i) => i).filter((i) => !inFit.has(i));
  // feature-space baseline: 10-NN majority among fit rows
  const q = new Float32Array(held.length * 24); held.forEach((r, i) => q.set(features.data.subarray(r * 24, r * 24 + 24), i * 24));
  const kn = bruteForceKnn(features.data, 24, fitRows, q, 10);
  let ok = 0; held.forEach((r, i) => { const v = new Int32Array(6); for (let j = 0; j < 10; j++) v[labels[kn.indices[i * 10 + j]!]!]!++; const own = v[labels[r]!]!; if (own > Math.max(...v.filter((_, l) => l !== labels[r]))) ok++; });
  console.log("feature-space held", ok / held.length);
  const t0 = performance.now();
  let last = t0;
  const out = await projectUmap(features, labels, fitRows, { seed: 3, nNeighbors: 30, minDist: 0.1, targetWeight: 0.5, threads: 1, signal: new AbortController().signal, progress: (f, d) => { const t = performance.now(); if (t - last > 500) { console.log(f.toFixed(3), d, (t - t0).toFixed(0)); last = t; } } });
  console.log("ms", performance.now() - t0);
  console.log("fit", labelAgreement(out.coords, labels, fitRows, fitRows), "held", labelAgreement(out.coords, labels, fitRows, held));
}, 120000);
