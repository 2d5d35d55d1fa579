// `import wasm from "tactful/tactful_bg.wasm"`: edge runtimes (workerd, Cloudflare Workers,
// edge-light) and bundlers configured for it compile the imported .wasm into a module, which
// the edge build's `init(wasm)` takes.

/** The engine, compiled by the runtime that imported it. */
declare const module: WebAssembly.Module;
/** The compiled engine, to pass to `init` of `tactful` at the edge, or to `createEdgeWorker({ wasm })`. */
export default module;
