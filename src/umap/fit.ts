import { CancelledError } from "../core/errors.ts";
import type { Rng } from "../core/rng.ts";
import { type NeighbourLists, categoricalIntersection, fuzzySimplicialSet } from "./fuzzy.ts";
import { type CurveParams, SamplingClock, epochAlpha, fitEpochs, optimizeEpoch, scheduleEdges } from "./layout.ts";

/** What fitting needs besides the neighbour graph. */
export interface FitSettings {
  /** labels of the fit points, in fit order; negative = unknown */
  readonly labels: Int8Array;
  readonly targetWeight: number;
  readonly curve: CurveParams;
  readonly learningRate: number;
  readonly rng: Rng;
  readonly signal: AbortSignal;
  onEpoch(done: number, total: number): void;
}

export interface FitResult {
  /** fit points x 3, float64 */
  readonly embedding: Float64Array;
  readonly epochs: number;
  readonly edges: number;
}

/**
 * Supervised UMAP fit on an exact neighbour graph (umap-js's algorithm, typed arrays):
 * fuzzy graph, categorical intersection, uniform [-10, 10) start, then sequential SGD epochs.
 * Sequential on purpose: the result depends only on the rng, never on threads.
 */
export async function fitLayout(knn: NeighbourLists, settings: FitSettings): Promise<FitResult> {
  const graph = categoricalIntersection(fuzzySimplicialSet(knn), settings.labels, settings.targetWeight);
  const nEpochs = fitEpochs(knn.count);
  const edges = scheduleEdges(graph, nEpochs);
  const random = (): number => settings.rng.next();
  const embedding = new Float64Array(knn.count * 3);
  for (let i = 0; i < embedding.length; i++) embedding[i] = random() * 20 - 10;
  const clock = new SamplingClock(edges.epochsPerSample);
  for (let n = 0; n < nEpochs; n++) {
    await yieldToEvents();
    if (settings.signal.aborted) throw new CancelledError("umap fit");
    const alpha = epochAlpha(settings.learningRate, n, nEpochs);
    optimizeEpoch(embedding, embedding, edges, clock, n, alpha, settings.curve, random);
    settings.onEpoch(n + 1, nEpochs);
  }
  return { embedding, epochs: nEpochs, edges: edges.head.length };
}

/** Lets the worker's event loop deliver an abort before the next chunk of work. */
export function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
