/**
 * The slice of the WebAssembly JS API this module uses. The project's lib setting (ES2023,
 * no DOM) and @types/node 20 do not declare the global, so it is typed here locally instead
 * of through a global declaration that could clash with other modules.
 */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
}
/** An opaque compiled module (structured-cloneable to workers). */
export interface WasmModule {
  readonly __wasmModule?: never;
}
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
