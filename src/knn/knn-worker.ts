/**
 * Worker thread of the kNN pool: searches blocks of queries against every group of the shared
 * memory with the wasm kernel, and replies with the exact top-k of each group.
 */
import { parentPort, workerData } from "node:worker_threads";
import { searchBlock, type QuerySource } from "./block-search.ts";
import { emptyResult } from "./exact.ts";
import { bindKernels } from "./kernel-abi.ts";
import { searchBlockPruned, seedCount } from "./prune-block.ts";
import { squaredNorm } from "./layout.ts";
import { quantizeRows } from "./quantize.ts";
import type { GroupLayout } from "./layout.ts";
import { NO_COUNTS, type RefSlice, type TaskCounts, type WorkerInit, type WorkerReply, type WorkerTask } from "./protocol.ts";
import { wasm } from "./wasm-api.ts";

const init = workerData as WorkerInit;
const kernels = bindKernels(new wasm.Instance(init.module, { env: { memory: init.memory } }).exports);
const scratch = init.layout.scratch[init.slot]!;

function run(task: WorkerTask): WorkerReply {
  const query = task.kind === "rows" ? rowQueries(task.queries) : stageVectors(task.vectors);
  const counts: TaskCounts = { ...NO_COUNTS };
  const reply: WorkerReply = { id: task.id, indices: [], distances: [], counts };
  const prune = task.kind === "rows" && init.layout.projection !== undefined ? task.prune : "off";
  for (const whole of init.layout.groups) {
    const group = task.kind === "vectors" && task.slice ? sliceOf(whole, task.slice) : whole;
    const result = emptyResult(query.ids.length, task.k);
    const search = { kernels, memory: init.memory, layout: init.layout, scratch, query, group, k: task.k };
    if (group.length === 0 || query.ids.length === 0) {
      // nothing to search: the empty result is the answer
    } else if (prune !== "off" && group.length > seedCount(task.k)) {
      const pruned = searchBlockPruned(search, result, prune === "count");
      counts.survivors += pruned.survivors;
      counts.pairs += pruned.pairs;
    } else if (prune !== "count") {
      const block = searchBlock(search, result);
      counts.codeFallbacks += block.codeFallbacks;
      counts.fallbacks += block.fallbacks;
    }
    reply.indices.push(result.indices);
    reply.distances.push(result.distances);
  }
  return reply;
}

/**
 * Rows [start, end) of a group, as a group of its own. The kernel may read one id past an odd
 * end: inside the group that is the next real id, at its end the layout's padding. maxNorm
 * stays the whole group's, which only widens the error bound.
 */
function sliceOf(group: GroupLayout, [start, end]: RefSlice): GroupLayout {
  return {
    ...group,
    idsOffset: group.idsOffset + start * 4,
    codeRowsOffset: group.codeRowsOffset + start * 4,
    length: Math.max(0, Math.min(end, group.length) - start),
  };
}

function rowQueries(ids: Int32Array): QuerySource {
  const { codes } = init.layout;
  return {
    base: init.layout.dataOffset,
    normsBase: init.layout.normsOffset,
    ids,
    ...(codes && { codes: { base: codes.offset, scalesBase: codes.scalesOffset, errorsBase: codes.errorsOffset } }),
  };
}

/** Copies outside vectors into this worker's scratch, padded (and coded) like the data rows. */
function stageVectors(vectors: Float32Array): QuerySource {
  const { dims, dp, codes } = init.layout;
  const count = vectors.length / dims;
  const f32 = new Float32Array(init.memory.buffer);
  const norms = new Float32Array(init.memory.buffer, scratch.stageNormsOffset, count);
  for (let q = 0; q < count; q++) {
    const at = scratch.stageOffset / 4 + q * dp;
    f32.set(vectors.subarray(q * dims, q * dims + dims), at);
    f32.fill(0, at + dims, at + dp);
    norms[q] = squaredNorm(vectors, q * dims, dims);
  }
  const ids = Int32Array.from({ length: count }, (_, i) => i);
  if (!codes) return { base: scratch.stageOffset, normsBase: scratch.stageNormsOffset, ids };
  const codeRows = new Int16Array(init.memory.buffer, scratch.stageCodesOffset, count * codes.dpi);
  const scales = new Float32Array(init.memory.buffer, scratch.stageScalesOffset, count);
  const errors = new Float32Array(init.memory.buffer, scratch.stageErrorsOffset, count);
  quantizeRows(vectors, dims, count, codeRows, codes.dpi, scales, errors);
  return {
    base: scratch.stageOffset,
    normsBase: scratch.stageNormsOffset,
    ids,
    codes: { base: scratch.stageCodesOffset, scalesBase: scratch.stageScalesOffset, errorsBase: scratch.stageErrorsOffset },
  };
}

parentPort!.on("message", (task: WorkerTask) => {
  const reply = run(task);
  parentPort!.postMessage(
    reply,
    [...reply.indices, ...reply.distances].map((a) => a.buffer as ArrayBuffer),
  );
});
