// The edge entry (package conditions "workerd" and "edge-light"): Cloudflare Workers, workerd
// and similar runtimes refuse to compile WebAssembly from bytes at run time, so the host
// imports the .wasm as an already-compiled WebAssembly.Module (its bundler or its config does
// that) and hands it over once:
//
//   import wasm from "tactful/tactful_bg.wasm";
//   import { init, Engine } from "tactful";
//   init(wasm);
//
// Instantiation is synchronous and happens once per isolate; init() again is a no-op.
import { initSync } from "../web/tactful.js";

export { Engine, memorySize, mergeMemory, parseMemory, recordEvent } from "../web/tactful.js";

let ready = false;

/** Instantiates tactful from a compiled `WebAssembly.Module`. */
export function init(module) {
  if (ready) return;
  if (!(module instanceof WebAssembly.Module)) {
    const error = new TypeError(
      "tactful init() takes a compiled WebAssembly.Module (import the .wasm file); edge runtimes cannot compile bytes at run time",
    );
    error.code = "init.not_a_module";
    throw error;
  }
  initSync({ module });
  ready = true;
}
