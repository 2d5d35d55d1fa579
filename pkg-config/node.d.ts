// The Node build (CommonJS, ready on load; `import` gets an ES module over the same instance).
export * from "./tactful.js";

/** Nothing to do under Node: the module is ready when it loads. Kept so browser code runs. */
export function init(): Promise<void>;
/** Nothing to do under Node, as `init`. */
export function initSync(): void;
/** `init`, as the default export, as the browser build has it. */
export default init;
