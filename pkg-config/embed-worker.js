// The embed's engine host. In a module Worker (the embed starts one next to itself) it loads the
// .wasm by streaming instantiation and the snapshot, and answers the page's requests by message,
// so compiling, instantiating and deciding stay off the page's main thread. Where no Worker can
// run, the embed imports this same module into the page and calls `answer` directly.
//
//   page → worker  { id, op: "open", snapshot, wasm }       → { id, value: info }
//                  { id, op: "decide" | "explain" | "openMemory" | "parseMemory" | "mergeMemory" | "record", args } → { id, value }
//   worker → page  { id, error: { name, code, path, message } } for a refused request
import init, { Engine } from "../web/tactful.js";

const engines = new Map();

/** Loads the module (streaming instantiation) and a snapshot; one engine per snapshot URL. */
export function load({ snapshot, wasm } = {}) {
  const key = typeof snapshot === "string" || snapshot instanceof URL ? String(snapshot) : snapshot;
  if (engines.has(key)) return engines.get(key);
  // Both downloads start at once: the module compiles while the snapshot arrives.
  const module = init(wasm === undefined ? undefined : { module_or_path: wasm });
  const engine = Promise.all([module, snapshotBytes(snapshot)]).then(async ([, bytes]) => {
    const loaded = Engine.fromBytes(bytes);
    // V8 compiles a wasm function on its first call, and the decision is one large function: a
    // first call that stops at once (an empty context is refused before any work) compiles it
    // in a task of its own, so loading, compiling and deciding are three short tasks.
    await nextTask();
    try {
      loaded.decideJson("{}", "");
    } catch {
      // refused, as intended
    }
    await nextTask();
    return loaded;
  });
  engine.catch(() => engines.delete(key));
  engines.set(key, engine);
  return engine;
}

async function snapshotBytes(snapshot) {
  if (snapshot instanceof Uint8Array) return snapshot;
  if (snapshot instanceof ArrayBuffer) return new Uint8Array(snapshot);
  if (typeof snapshot !== "string" && !(snapshot instanceof URL)) {
    throw Object.assign(new Error("mount() needs `snapshot`: a URL or the snapshot's bytes"), { name: "EmbedError", code: "embed.no_snapshot" });
  }
  const response = await fetch(snapshot, { credentials: "same-origin" });
  if (!response.ok) throw Object.assign(new Error(`snapshot ${snapshot}: HTTP ${response.status}`), { name: "EmbedError", code: "embed.snapshot_fetch" });
  return new Uint8Array(await response.arrayBuffer());
}

function nextTask() {
  return globalThis.scheduler?.yield?.() ?? new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * The engine's methods a request may name. The memory ones bind memory to the engine's store:
 * another store's copy (two stores on one cookie domain) is not taken as this shopper's.
 */
const METHODS = new Set(["decide", "explain", "openMemory", "parseMemory", "mergeMemory", "record"]);

/** One request: `open` loads and returns the snapshot's info; the others call the engine. */
export async function answer(engine, { op, args = [] }) {
  if (op === "open") return (await engine).info();
  if (METHODS.has(op)) return (await engine)[op](...args);
  throw Object.assign(new Error(`no such request \`${op}\``), { name: "EmbedError", code: "embed.bad_request" });
}

if (typeof WorkerGlobalScope === "function") {
  let engine;
  onmessage = async ({ data }) => {
    if (data.op === "open") {
      engine = load(data);
      // A failed load is answered below; unanswered, it must not count as unhandled.
      engine.catch(() => {});
    }
    try {
      postMessage({ id: data.id, value: await answer(engine, data) });
    } catch (error) {
      const { name, code, path, message } = error ?? {};
      postMessage({ id: data.id, error: { name, code, path, message: String(message ?? error) } });
    }
  };
}
