import { existsSync, readFileSync } from "node:fs";

/** What every numeric kernel exports besides its functions: its own growable memory. */
export interface KernelMemory {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, never>) => { readonly exports: unknown };
}

const instances = new Map<string, KernelMemory>();

/**
 * The exports of the compiled kernel at `file` (one instance per thread, made on first use),
 * its memory grown to at least `bytes`. Callers pass `wasmPath("<name>")` written out, so the
 * stage fingerprint (engine/fingerprint.ts) sees which kernel's bytes their code depends on.
 */
export function reserveKernel<T extends KernelMemory>(file: string, bytes: number): T {
  let kernel = instances.get(file);
  if (!kernel) {
    if (!existsSync(file)) throw new Error(`wasm kernel ${file} is missing; run \`npm run build\``);
    // the lib setting (ES2023, no DOM) does not declare the WebAssembly global, hence the local type
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    kernel = new wasm.Instance(new wasm.Module(readFileSync(file)), {}).exports as KernelMemory;
    instances.set(file, kernel);
  }
  const missing = bytes - kernel.memory.buffer.byteLength;
  if (missing > 0) kernel.memory.grow(Math.ceil(missing / 65536));
  return kernel as T;
}
