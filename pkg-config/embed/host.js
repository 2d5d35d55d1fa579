// Where the engine runs: in a module Worker (embed-worker.js, next to the bundle) when the page
// can start one, else in the page. Either way the widget sees one async `call(op, ...args)`.
// (Bundled into embed.js: `./embed-worker.js` is resolved next to the bundle at run time.)

/** How long the engine's worker may take to answer a request (loading included), in ms. */
const WORKER_TIMEOUT = 5000;

/**
 * The engine behind one async `call(op, ...args)`: in a module Worker when the page can start
 * one, so the main thread only sends and receives messages; else in the page. A worker that
 * fails or does not answer in time is dropped with a warning, and what it left unanswered is
 * asked again of an engine in the page.
 */
export function connect(options, warn) {
  const timeout = options.workerTimeout ?? WORKER_TIMEOUT;
  const waiting = new Map();
  const host = { thread: "main", call, close };
  let worker = null;
  let inPage = null;
  let requests = 0;
  const absolute = (url) => (typeof url === "string" || url instanceof URL ? new URL(url, document.baseURI).href : url);
  const wasm = options.wasm instanceof Request ? options.wasm.url : absolute(options.wasm);
  const open = { op: "open", snapshot: absolute(options.snapshot), wasm };

  function call(op, ...args) {
    if (!worker) {
      inPage ??= import("./embed-worker.js").then((m) => [m, m.load(options)]);
      return inPage.then(([m, engine]) => m.answer(engine, { op, args }));
    }
    return new Promise((resolve, reject) => {
      const id = ++requests;
      // First, so a value that cannot be sent (a DataCloneError) rejects this call alone.
      worker.postMessage(op === "open" ? { ...open, id } : { id, op, args });
      const timer = setTimeout(() => fallBack("embed.worker_timeout", `the engine's worker did not answer \`${op}\` within ${timeout} ms`), timeout);
      waiting.set(id, { op, args, resolve, reject, timer });
    });
  }

  function close() {
    worker?.terminate();
    worker = null;
    for (const request of waiting.values()) clearTimeout(request.timer);
    waiting.clear();
  }

  function fallBack(code, message) {
    if (!worker) return;
    const unanswered = [...waiting.values()];
    close();
    host.thread = "main";
    warn(code, `${message}; the engine runs on the page's main thread instead`);
    for (const { op, args, resolve, reject } of unanswered) call(op, ...args).then(resolve, reject);
  }

  if (options.worker === false || options.wasm instanceof Response) return host;
  if (typeof Worker !== "function") {
    warn("embed.no_worker", "this page has no Worker; the engine runs on the page's main thread");
    return host;
  }
  try {
    // The literal form, so bundlers find the worker and ship it.
    worker = typeof options.worker === "string" || options.worker instanceof URL
      ? new Worker(options.worker, { type: "module", name: "tactful" })
      : new Worker(new URL("./embed-worker.js", import.meta.url), { type: "module", name: "tactful" });
  } catch (error) {
    warn("embed.worker_failed", `the engine's worker could not start (${error.message}); the engine runs on the page's main thread`);
    return host;
  }
  host.thread = "worker";
  worker.onmessage = ({ data }) => {
    const request = waiting.get(data.id);
    if (!request) return;
    waiting.delete(data.id);
    clearTimeout(request.timer);
    if (!data.error) return request.resolve(data.value);
    const { message, ...fields } = data.error;
    request.reject(Object.assign(new Error(message), Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))));
  };
  worker.onerror = (event) => {
    event.preventDefault();
    fallBack("embed.worker_failed", `the engine's worker failed${event.message ? ` (${event.message})` : ""}`);
  };
  worker.onmessageerror = () => fallBack("embed.worker_failed", "a message from the engine's worker could not be read");
  return host;
}
