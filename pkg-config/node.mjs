// Node's ES module entry (`import ... from "tactful"` under Node): the CommonJS build, which
// is ready as soon as it loads, with the browser build's init() and initSync(), which have
// nothing to do here. So code written for the browser (`import init, { Engine } from
// "tactful"; await init();`) runs unchanged under Node, and both entries share one instance.
import tactful from "./tactful.js";

export const { Engine, memorySize, mergeMemory, parseMemory, recordEvent, init, initSync } = tactful;
export default init;
