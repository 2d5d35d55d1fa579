// The browser build: the same API, after the module is instantiated.
export * from "./tactful.js";

/** Instantiates the module by streaming (default: the .wasm next to this file). */
export default function init(
  input?: { module_or_path: RequestInfo | URL | Response | BufferSource | WebAssembly.Module } | RequestInfo | URL,
): Promise<unknown>;

/** Instantiates synchronously from a compiled module (edge runtimes). */
export function initSync(module: { module: WebAssembly.Module | BufferSource } | WebAssembly.Module | BufferSource): unknown;
