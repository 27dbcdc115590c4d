/**
 * Worker thread of the kNN pool: searches blocks of queries against every group of the shared
 * memory with the wasm kernel, and replies with the exact top-k of each group.
 */
import { parentPort, workerData } from "node:worker_threads";
import { searchBlock, type DistBlock, type DistBlockCodes, type Kernels, type QuerySource } from "./block-search.ts";
import { emptyResult } from "./exact.ts";
import { searchBlockPruned, seedCount } from "./prune-block.ts";
import { squaredNorm } from "./layout.ts";
import { quantizeRows } from "./quantize.ts";
import type { GroupLayout } from "./layout.ts";
import type { RefSlice, WorkerInit, WorkerReply, WorkerTask } from "./protocol.ts";
import { wasm } from "./wasm-api.ts";

const init = workerData as WorkerInit;
const instance = new wasm.Instance(init.module, { env: { memory: init.memory } });
const kernel = instance.exports["dist_block"] as DistBlock;
const kernels: Kernels = { float32: kernel, int16: instance.exports["dist_block_i16"] as DistBlockCodes };
const scratch = init.layout.scratch[init.slot]!;

function run(task: WorkerTask): WorkerReply {
  const query = task.kind === "rows" ? rowQueries(task.queries) : stageVectors(task.vectors);
  const stats = { codeFallbacks: 0, fallbacks: 0, survivors: 0, pairs: 0 };
  const reply: WorkerReply = { id: task.id, indices: [], distances: [], codeFallbacks: 0, fallbacks: 0, survivors: 0, pairs: 0 };
  const prune = task.kind === "rows" && init.layout.projection !== undefined ? task.prune : "off";
  for (const whole of init.layout.groups) {
    const group = task.kind === "vectors" && task.slice ? sliceOf(whole, task.slice) : whole;
    const result = emptyResult(query.ids.length, task.k);
    if (group.length === 0 || query.ids.length === 0) {
      // nothing to search: the empty result is the answer
    } else if (prune !== "off" && group.length > seedCount(task.k)) {
      searchBlockPruned(kernel, init.memory, init.layout, scratch, query.ids, group, task.k, result, stats, prune === "count");
    } else if (prune !== "count") {
      searchBlock(kernels, init.memory, init.layout, scratch, query, group, task.k, result, stats);
    }
    reply.indices.push(result.indices);
    reply.distances.push(result.distances);
  }
  Object.assign(reply, stats);
  return reply;
}

/**
 * Rows [start, end) of a group, as a group of its own. The kernel may read one id past an odd
 * end: inside the group that is the next real id, at its end the layout's padding. maxNorm
 * stays the whole group's, which only widens the error bound.
 */
function sliceOf(group: GroupLayout, [start, end]: RefSlice): GroupLayout {
  return { ...group, idsOffset: group.idsOffset + start * 4, codeRowsOffset: group.codeRowsOffset + start * 4, length: Math.max(0, Math.min(end, group.length) - start) };
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
  parentPort!.postMessage(reply, [...reply.indices, ...reply.distances].map((a) => a.buffer as ArrayBuffer));
});
