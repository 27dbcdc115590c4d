/**
 * The machine's 128-bit SIMD peak as measured, for bench/knn.ts's "share of peak": tiny wasm
 * loops of independent dependency chains (no memory traffic) on `threads` worker threads at
 * once, so the clock is whatever the cores sustain under that load rather than the nominal MHz
 * of /proc/cpuinfo (2.25 GHz here, while one pmaddwd per cycle measures ~3.35 G/s per core).
 * Each thread reports its best of 7 runs of ~0.1 s: the machine is shared, and a slow run only
 * means someone else had the core.
 *
 *   f32_gflops    4 lanes x (f32x4.mul/s + f32x4.add/s): separate pipes, so both count
 *   int16_gops    16 x i32x4.dot_i16x8_s/s: 8 multiply-adds of 2 ops each per instruction
 */
import { Worker } from "node:worker_threads";

const CHAINS = 12;
const ITERATIONS = 20_000_000;

type Wabt = Awaited<ReturnType<typeof import("wabt")>>;

/** A module whose f(n) runs n iterations of CHAINS independent `step` chains. */
function loopModule(wabt: Wabt, step: (acc: string) => string, init: string): Uint8Array {
  const locals = Array.from({ length: CHAINS }, (_, i) => `(local $a${i} v128)`).join(" ");
  const inits = Array.from({ length: CHAINS }, (_, i) => `(local.set $a${i} ${init})`).join(" ");
  const body = Array.from({ length: CHAINS }, (_, i) => `(local.set $a${i} ${step(`(local.get $a${i})`)})`).join(" ");
  const sum = Array.from({ length: CHAINS - 1 }, (_, i) => i + 1).reduce(
    (acc, i) => `(i32x4.add ${acc} (local.get $a${i}))`,
    "(local.get $a0)",
  );
  const text = `(module (func (export "f") (param $n i32) (result i32) ${locals} ${inits}
    (loop $l ${body} (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $l (local.get $n)))
    (i32x4.extract_lane 0 ${sum})))`;
  const module = wabt.parseWat("peak.wat", text, { simd: true });
  const bytes = module.toBinary({}).buffer;
  module.destroy();
  return bytes;
}

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const f = new WebAssembly.Instance(new WebAssembly.Module(workerData.bytes)).exports.f;
f(1000);
let best = 0;
for (let r = 0; r < 7; r++) {
  const t = performance.now();
  f(workerData.iterations);
  best = Math.max(best, (workerData.iterations * workerData.chains) / ((performance.now() - t) / 1000));
}
parentPort.postMessage(best);`;

/** Instructions per second summed over `threads` threads running the loop at the same time. */
async function rate(bytes: Uint8Array, threads: number): Promise<number> {
  const workers = Array.from(
    { length: threads },
    () => new Worker(WORKER, { eval: true, workerData: { bytes, iterations: ITERATIONS, chains: CHAINS } }),
  );
  const rates = await Promise.all(
    workers.map((w) => new Promise<number>((resolve, reject) => w.once("message", resolve).once("error", reject))),
  );
  await Promise.all(workers.map((w) => w.terminate()));
  return rates.reduce((a, b) => a + b, 0);
}

export async function measureSimdPeak(
  threads: number,
): Promise<{ threads: number; f32_gflops: number; int16_gops: number; pmaddwd_per_second_per_thread: number }> {
  const wabt = await (await import("wabt")).default();
  const mul = await rate(
    loopModule(wabt, (a) => `(f32x4.mul ${a} (v128.const f32x4 1.0000001 1.0000001 1.0000001 1.0000001))`, "(f32x4.splat (f32.const 1))"),
    threads,
  );
  const add = await rate(
    loopModule(wabt, (a) => `(f32x4.add ${a} (v128.const f32x4 1 1 1 1))`, "(f32x4.splat (f32.const 1))"),
    threads,
  );
  const dot = await rate(
    loopModule(wabt, (a) => `(i32x4.dot_i16x8_s ${a} (v128.const i16x8 1 1 1 1 1 1 1 1))`, "(i32x4.splat (i32.const 1))"),
    threads,
  );
  return { threads, f32_gflops: (4 * (mul + add)) / 1e9, int16_gops: (16 * dot) / 1e9, pmaddwd_per_second_per_thread: dot / threads };
}
