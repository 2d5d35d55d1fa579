// The edge build (workerd, edge-light): the same API, after init() with a compiled module.
export * from "./tactful.js";

/**
 * Instantiates tactful from an already-compiled module (edge runtimes cannot compile wasm
 * bytes at run time). Throws a TypeError with code `init.not_a_module` for anything else.
 * Calling it again is a no-op.
 */
export function init(module: WebAssembly.Module): void;
