// tactful's embed script: what a store's developer puts on a checkout page or inside an in-app
// widget. An ES module (`import { mount } from "tactful/embed"`, or a <script type="module">
// that imports it) with no dependencies beyond the package's own web build.
//
//   import { mount } from "/assets/tactful/embed/embed.js";
//   const widget = await mount({
//     slot: "#offer",                        // where the card goes; give it a min-height
//     snapshot: "/assets/store.snap",        // or the snapshot's bytes
//     surface: "checkout",
//     shopperKey: "a stable pseudonymous key",
//     consent: () => cookieBanner.accepted,  // no consent: memory for this page only, nothing written
//     onReport: (report) => analytics.send(report),   // exposures, accepts and dismissals
//     onAccept: (offer) => cart.add(offer.offerId),
//   });
//
// Signals come from the page's GA4 `dataLayer` (the e-commerce events it already pushes), from
// data- attributes (on the slot: data-tactful-surface, -cart, -owned, -viewed, -facts; on any
// element: data-tactful-event="name", sent when it is clicked) and from widget.track(event).
// The card is built with textContent only: nothing from the catalog is ever parsed as HTML.
// The engine runs in a module Worker (embed-worker.js, next to this file, same origin; under a
// CSP, worker-src falls back to script-src): on this thread only the embed's own logic, its
// messages and the card remain. Without a Worker, or when it fails or does not answer within
// `workerTimeout`, the engine runs here instead, with a warning.
import { CLASSES, DISMISS, HEADINGS, MAX_COOKIE_MEMORY, MEMORY_COOKIE, SID_COOKIE, cardIds } from "./contract.js";

const VERSION = "0.1.0";
const MAX_EVENTS = 256;
/** How many purchases' transaction ids are kept, so a reloaded thank-you page counts once. */
const MAX_TRANSACTIONS = 20;
/** The most memory the edge worker reads from its cookie (www/edge/worker.js). */
/** GTM's own lifecycle events (`gtm.js`, `gtm.dom`, ...), which say nothing about the shopper. */
const INTERNAL_EVENT_PREFIX = "gtm.";
/** How many recorded events may wait to be stored (see `record`); the oldest go first. */
const MAX_PENDING = 64;
/** How long the engine's worker may take to answer a request (loading included), in ms. */
const WORKER_TIMEOUT = 5000;

let nextId = 0;

/** Loads (once per snapshot URL) the module and a snapshot into an engine on this thread. */
export async function load(options) {
  return (await import("./embed-worker.js")).load(options);
}

/**
 * The engine behind one async `call(op, ...args)`: in a module Worker when the page can start
 * one, so the main thread only sends and receives messages; else in the page. A worker that
 * fails or does not answer in time is dropped with a warning, and what it left unanswered is
 * asked again of an engine in the page.
 */
function connect(options, warn) {
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

function embedError(code, message) {
  const error = new Error(message);
  error.name = "EmbedError";
  error.code = code;
  return error;
}

/**
 * Mounts a widget into a slot: decides, renders the card, and keeps deciding as signals come
 * in. Resolves once the first decision is rendered (or the slot is left empty).
 */
export async function mount(options = {}) {
  performance.mark?.("tactful:start");
  const widget = new Widget(options);
  try {
    await widget.start();
  } catch (error) {
    widget.destroy(); // stops its worker
    throw error;
  }
  return widget;
}

class Widget {
  constructor(options) {
    const slot = typeof options.slot === "string" ? document.querySelector(options.slot) : options.slot;
    if (!(slot instanceof Element)) throw embedError("embed.no_slot", `mount() found no slot element for ${String(options.slot)}`);
    this.options = options;
    this.slot = slot;
    this.id = `tactful-${++nextId}`;
    this.now = typeof options.now === "function" ? options.now : () => Date.now();
    this.labels = { ...DEFAULT_LABELS, ...options.labels };
    this.storageKey = options.storageKey ?? "tactful:memory";
    this.cookieName = options.cookie === false ? null : (options.cookie ?? MEMORY_COOKIE);
    this.decision = null;
    this.memory = "";
    this.readOnly = false;
    this.warnings = [];
    this.events = [];
    this.items = { cart: null, owned: [], viewed: [] };
    this.reported = new Set();
    this.shown = null;
    this.returnFocus = null;
    this.queue = Promise.resolve();
    this.next = null;
    this.cleanups = [];
    this.destroyed = false;
  }

  /** Where the engine runs: "worker", or "main" (no Worker, or it failed or timed out). */
  get thread() {
    return this.host?.thread ?? "main";
  }

  consented() {
    const consent = this.options.consent;
    if (consent === undefined) return true;
    try {
      return Boolean(typeof consent === "function" ? consent() : consent);
    } catch {
      return false;
    }
  }

  async start() {
    this.host = connect(this.options, (code, message) => this.warn(code, message));
    this.info = await this.host.call("open");
    performance.mark?.("tactful:loaded");
    if (this.destroyed) return;
    // document.cookie is a call into the browser each time it is read: once, for both cookies.
    const cookies = this.cookieName && this.consented() ? document.cookie : "";
    this.shopperKey = this.options.shopperKey ?? this.pseudonymousKey(cookies);
    this.serial(() => this.loadMemory(cookies));
    this.watchDataLayer();
    this.watchAttributes();
    await this.decide();
    // The storage listener waits until the first card is up: adding it has the browser open
    // the storage area's observer (about 2.3 ms of main thread at 4x throttling), and the
    // first decision does not need it.
    later(() => this.watchStorage());
  }

  /**
   * Runs engine work (every call is a message to the worker) one piece at a time, each on the
   * memory the last one left, so no update is lost between two of them.
   */
  serial(task) {
    const run = this.queue.then(() => (this.destroyed ? null : task()));
    this.queue = run.catch(() => {});
    return run;
  }

  // ---- memory --------------------------------------------------------------------------

  /** Reads every copy (localStorage, the edge cookie) and merges them; bad copies are dropped. */
  async loadMemory(cookies = document.cookie) {
    this.memory = "";
    if (!this.consented()) return;
    const copies = [];
    const stored = safeStorage(() => localStorage.getItem(this.storageKey));
    if (stored) copies.push(["localStorage", stored]);
    const cookie = this.cookieName && readCookie(cookies, this.cookieName);
    if (cookie) copies.push([`cookie ${this.cookieName}`, cookie]);
    // By default the cookie is kept in step only when an edge worker keeps one (it arrived
    // with the page), so what the shopper dismisses here keeps the offer away at the edge too.
    this.writesCookie = Boolean(this.cookieName) && (this.options.writeCookie ?? Boolean(cookie));
    this.cookieMemory = cookie;
    for (const [where, text] of copies) this.memory = await this.mergeCopy(this.memory, text, where);
    await this.replayPending();
  }

  /**
   * Merges one more copy in. The engine says whether it can be read and whether it must be
   * kept as it is (memory written by a newer version: never overwritten), so the rule is the
   * engine's own, the same on every host.
   */
  async mergeCopy(memory, text, where) {
    if (this.readOnly) return memory;
    const opened = await this.host.call("openMemory", text);
    if (opened.keep) {
      // Another host already runs a newer tactful: decide as for a new shopper and write
      // nothing, so the rollout loses no dismissal.
      this.readOnly = true;
      this.warn(opened.problem.code, `${where} holds memory from a newer tactful; deciding from fresh memory and writing nothing`);
      return text;
    }
    if (opened.problem) {
      this.warn(opened.problem.code, `${where} held unreadable memory (${opened.problem.message}); starting from fresh memory`);
      return memory;
    }
    return memory ? this.host.call("merge", memory, opened.memory) : opened.memory;
  }

  /** Writes memory back, merged with whatever another tab wrote meanwhile. */
  async persist() {
    if (this.readOnly || !this.consented()) return;
    const read = () => safeStorage(() => localStorage.getItem(this.storageKey));
    // Merging is a message to the worker: a tab may write meanwhile, so read again after it.
    let stored;
    for (let seen = null; (stored = read()) && stored !== this.memory && stored !== seen; seen = stored) {
      try {
        this.memory = await this.host.call("merge", this.memory, await this.host.call("parse", stored));
      } catch {
        // The stored copy is unreadable (a warning was given when it was read): ours replaces it.
      }
    }
    if (this.readOnly || !this.consented()) return;
    // What is already stored is not written again (most decisions change nothing).
    if (stored !== this.memory) safeStorage(() => localStorage.setItem(this.storageKey, this.memory));
    if (this.writesCookie && this.memory !== this.cookieMemory) {
      if (this.memory.length > MAX_COOKIE_MEMORY) {
        // The edge reads at most this much; a cut cookie would be unreadable there.
        this.warn("embed.cookie_too_large", `memory is ${this.memory.length} bytes, over the ${MAX_COOKIE_MEMORY} a cookie carries; the cookie keeps its last copy`);
      } else {
        document.cookie = `${this.cookieName}=${this.memory}; path=/; max-age=31536000; samesite=lax${location.protocol === "https:" ? "; secure" : ""}`;
        this.cookieMemory = this.memory;
      }
    }
  }

  /** Merges what other tabs write, from now on and what they wrote before the listener. */
  watchStorage() {
    if (this.destroyed) return;
    const merge = (text) => this.serial(async () => {
      if (this.consented() && text !== this.memory) this.memory = await this.mergeCopy(this.memory, text, "another tab");
    });
    const onStorage = (event) => {
      if (event.key === this.storageKey && event.newValue) merge(event.newValue);
    };
    addEventListener("storage", onStorage);
    this.cleanups.push(() => removeEventListener("storage", onStorage));
    const stored = this.consented() ? safeStorage(() => localStorage.getItem(this.storageKey)) : null;
    if (stored) merge(stored);
  }

  /**
   * Records an event into memory. Recording is a message to the worker, and a page can be left
   * a few ms after a click, before the answer: so the event is first kept, at once, in a list
   * of pending events beside memory, which the next page replays (recording the same event
   * twice changes nothing), and it leaves that list once memory holding it is stored.
   */
  record(event) {
    const recorded = { ...event, at: Math.round(this.now()) };
    this.updatePending((pending) => [...pending, recorded].slice(-MAX_PENDING));
    return this.serial(async () => {
      if (this.readOnly) return;
      try {
        this.memory = await this.host.call("record", this.memory, recorded);
      } catch (error) {
        this.warn(error.code ?? "memory.bad_event", `could not record ${event.type}: ${error.message}`);
      }
      await this.persist();
      this.updatePending((pending) => withoutFirst(pending, recorded));
    });
  }

  /** Rewrites the pending events' list (nothing without consent, or over newer memory). */
  updatePending(change) {
    if (this.readOnly || !this.consented()) return;
    const key = `${this.storageKey}:pending`;
    const next = change(storedList(key));
    safeStorage(() => (next.length ? localStorage.setItem(key, JSON.stringify(next)) : localStorage.removeItem(key)));
  }

  /** Records what an earlier page kept pending and could not store before it was left. */
  async replayPending() {
    if (this.readOnly || !this.consented()) return;
    const pending = storedList(`${this.storageKey}:pending`);
    if (!pending.length) return;
    for (const event of pending) {
      try {
        this.memory = await this.host.call("record", this.memory, event);
      } catch {
        // not an event memory can hold (the list was edited by hand): dropped with the rest
      }
    }
    await this.persist();
    this.updatePending((now) => now.filter((event) => !pending.some((p) => sameEvent(p, event))));
  }

  /** Consent given or withdrawn by the store's banner. Withdrawing removes the stored copy. */
  setConsent(given) {
    this.options.consent = Boolean(given);
    if (!given) {
      safeStorage(() => localStorage.removeItem(this.storageKey));
      safeStorage(() => localStorage.removeItem(`${this.storageKey}:transactions`));
      safeStorage(() => localStorage.removeItem(`${this.storageKey}:pending`));
      safeStorage(() => localStorage.removeItem("tactful:sid"));
      return this.queue;
    }
    return this.serial(async () => {
      const memory = this.memory;
      await this.loadMemory();
      if (memory) this.memory = this.memory ? await this.host.call("merge", this.memory, memory) : memory;
      await this.persist();
    });
  }

  /**
   * The shopper key: the edge worker's `tactful_sid` cookie when there is one (so the page and
   * the edge bucket the shopper alike), else the one kept in localStorage, else a fresh one.
   */
  pseudonymousKey(cookies) {
    const key = "tactful:sid";
    const edge = this.cookieName && this.consented() ? readCookie(cookies, SID_COOKIE) : null;
    if (edge) return edge;
    const stored = this.consented() ? safeStorage(() => localStorage.getItem(key)) : null;
    if (stored) return stored;
    const fresh = crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    if (this.consented()) safeStorage(() => localStorage.setItem(key, fresh));
    return fresh;
  }

  warn(code, message) {
    const warning = { code, message };
    this.warnings.push(warning);
    console.warn(`tactful: ${message} [${code}]`);
    this.options.onWarning?.(warning);
  }

  // ---- signals ------------------------------------------------------------------------

  watchDataLayer() {
    if (this.options.dataLayer === false) return;
    const layer = this.options.dataLayer ?? (globalThis.dataLayer ??= []);
    if (!Array.isArray(layer)) return;
    const at = Math.round(this.now());
    for (const entry of layer) this.signal(entry, at);
    const push = layer.push;
    const widget = this;
    layer.push = function (...entries) {
      const result = push.apply(this, entries);
      for (const entry of entries) if (widget.signal(entry, Math.round(widget.now()))) widget.schedule();
      return result;
    };
    this.cleanups.push(() => {
      layer.push = push;
    });
  }

  /** One dataLayer entry: GTM's `{ event, ecommerce }` or gtag's `("event", name, params)`. */
  signal(entry, at) {
    if (!entry || typeof entry !== "object") return false;
    let name;
    let params;
    if (typeof entry.length === "number" && entry[0] === "event") {
      name = entry[1];
      params = entry[2] ?? {};
    } else if (typeof entry.event === "string") {
      name = entry.event;
      params = entry.ecommerce ?? entry;
    } else {
      return false;
    }
    if (typeof name !== "string" || !name || name.startsWith(INTERNAL_EVENT_PREFIX)) return false;
    const label = params.tactful_label ?? params.label ?? params.lesson ?? entry.label;
    this.addEvent({ name, at: typeof params.tactful_at === "number" ? params.tactful_at : at, label });
    const ids = Array.isArray(params.items) ? params.items.map((i) => i?.item_id).filter((id) => typeof id === "string") : [];
    this.itemsFrom(name, ids, params.transaction_id);
    return true;
  }

  /**
   * Whether a purchase with this GA4 `transaction_id` was recorded before. A thank-you page
   * keeps its `purchase` in the dataLayer, so every reload would record it again (and restart
   * the quiet period after a purchase); the ids of the last purchases are kept beside memory.
   */
  seenTransaction(id) {
    if (typeof id !== "string" && typeof id !== "number") return false;
    const key = `${this.storageKey}:transactions`;
    const consented = this.consented();
    let seen = (this.transactions ??= []);
    if (consented) seen = storedList(key).map(String);
    if (seen.includes(String(id))) return true;
    seen.push(String(id));
    if (consented) safeStorage(() => localStorage.setItem(key, JSON.stringify(seen.slice(-MAX_TRANSACTIONS))));
    return false;
  }

  itemsFrom(name, ids, transactionId) {
    const add = (list, more) => [...new Set([...list, ...more])];
    const cart = this.items.cart ?? [];
    switch (name) {
      case "view_item":
      case "select_item":
        this.items.viewed = add(this.items.viewed, ids);
        break;
      case "add_to_cart":
        this.items.cart = add(cart, ids);
        break;
      case "remove_from_cart":
        this.items.cart = cart.filter((id) => !ids.includes(id));
        break;
      case "view_cart":
      case "begin_checkout":
      case "add_shipping_info":
      case "add_payment_info":
        if (ids.length) this.items.cart = ids;
        break;
      case "purchase":
        this.items.owned = add(this.items.owned, ids);
        this.items.cart = [];
        if (!this.seenTransaction(transactionId)) this.record({ type: "purchase" });
        break;
      default:
    }
  }

  addEvent(event) {
    const clean = { name: String(event.name).slice(0, 256), at: Math.round(event.at ?? this.now()) };
    if (event.label !== undefined && event.label !== null && String(event.label)) clean.label = String(event.label).slice(0, 256);
    this.events.push(clean);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  /** An explicit signal: `track("view_reviews")` or `track({ name, label, at })`. */
  track(event) {
    const e = typeof event === "string" ? { name: event } : event;
    if (!e || typeof e.name !== "string" || !e.name) throw embedError("embed.bad_event", "track() takes an event name or { name, label?, at? }");
    this.addEvent({ name: e.name, at: e.at ?? this.now(), label: e.label });
    this.itemsFrom(e.name, Array.isArray(e.items) ? e.items : []);
    return this.schedule();
  }

  watchAttributes() {
    const onClick = (event) => {
      const target = event.target instanceof Element ? event.target.closest("[data-tactful-event]") : null;
      if (!target) return;
      this.addEvent({ name: target.dataset.tactfulEvent, at: this.now(), label: target.dataset.tactfulLabel });
      this.schedule();
    };
    document.addEventListener("click", onClick, true);
    this.cleanups.push(() => document.removeEventListener("click", onClick, true));
  }

  /** The slot's data- attributes: surface, cart, owned and viewed ids, facts as JSON. */
  attributes() {
    const data = this.slot.dataset;
    const list = (text) => (text ? text.split(/[\s,]+/).filter(Boolean) : undefined);
    const context = {};
    if (data.tactfulSurface) context.surface = data.tactfulSurface;
    for (const key of ["cart", "owned", "viewed"]) {
      const ids = list(data[`tactful${key[0].toUpperCase()}${key.slice(1)}`]);
      if (ids) context[key] = ids;
    }
    if (data.tactfulFacts) {
      try {
        context.facts = JSON.parse(data.tactfulFacts);
      } catch {
        this.warn("embed.bad_facts", "data-tactful-facts is not JSON; ignored");
      }
    }
    if (data.tactfulTaskInProgress !== undefined) context.taskInProgress = data.tactfulTaskInProgress !== "false";
    return context;
  }

  /** The context: the slot's attributes, then what the signals say, then the store's own. */
  context() {
    const extra = typeof this.options.context === "function" ? this.options.context() : (this.options.context ?? {});
    const fromAttributes = this.attributes();
    const context = {
      surface: this.options.surface ?? fromAttributes.surface ?? "checkout",
      now: Math.round(this.now()),
      shopperKey: this.shopperKey,
    };
    const owned = [...new Set([...(fromAttributes.owned ?? []), ...this.items.owned])];
    if (fromAttributes.cart || this.items.cart) context.cart = this.items.cart ?? fromAttributes.cart;
    if (owned.length) context.owned = owned;
    const viewed = [...new Set([...(fromAttributes.viewed ?? []), ...this.items.viewed])];
    if (viewed.length) context.viewed = viewed;
    if (fromAttributes.facts) context.facts = fromAttributes.facts;
    if (fromAttributes.taskInProgress !== undefined) context.taskInProgress = fromAttributes.taskInProgress;
    const events = [...(extra.events ?? []), ...this.events];
    if (events.length) context.events = events;
    const { events: _, ...rest } = extra;
    return { ...context, ...rest };
  }

  // ---- deciding -----------------------------------------------------------------------

  /** Decides again soon (signals arrive in bursts); resolves when the card is up to date. */
  schedule() {
    return this.decide();
  }

  /** Decides again now (after the store changed the context); resolves with the decision. */
  refresh() {
    return this.decide();
  }

  /**
   * Queues a decision, unless one is already waiting (it reads the context when it runs, so it
   * sees every signal that came in before it): a burst of signals costs one decision.
   */
  decide() {
    this.next ??= this.serial(async () => {
      this.next = null;
      let decided;
      try {
        decided = await this.host.call("decide", this.context(), this.memory);
      } catch (error) {
        console.error(`tactful: ${error.message} [${error.code ?? error.name}]`);
        this.options.onError?.(error);
        this.render(null);
        return null;
      }
      if (this.destroyed) return null;
      for (const warning of decided.decision.warnings) {
        if (warning.code.startsWith("memory.") && this.warnings.some((w) => w.code === warning.code)) continue;
        this.warn(warning.code, warning.message);
      }
      performance.mark?.("tactful:decided");
      if (!this.readOnly) this.memory = decided.memory;
      this.decision = decided.decision;
      this.render(decided.decision);
      this.options.onDecision?.(decided.decision, this);
      await this.persist();
      return this.decision;
    });
    return this.next;
  }

  // ---- the card -----------------------------------------------------------------------

  render(decision) {
    const offers = decision?.offers ?? [];
    const same = this.shown && sameOffers(this.shown.offers, offers) && this.shown.holdout === Boolean(decision?.holdout);
    if (same) return; // the card on screen stays, with its impressions and its exposure
    this.clear();
    if (!decision) return;
    this.shown = { decision, offers, holdout: decision.holdout, dismissed: new Set() };
    if (offers.length === 0) {
      // A holdout shopper sees nothing, but the exposure (what would have been shown) is
      // reported once the slot is on screen, as it would have been for a shown card.
      if (decision.holdout && decision.exposure.offers.length) this.whenVisible(this.slot, () => this.expose(decision));
      return;
    }
    // Read before the card's styles arrive, while the page's style is still clean, so reading
    // it costs no style recalculation of its own.
    const reserved = isReserved(this.slot);
    // The styles with the first card, not at mount: a module script runs after the page's
    // first frame, and a sheet adopted then costs the page a frame of its own.
    adoptStyles(this.options.styles);
    this.slot.classList.add(CLASSES.slot);
    if (!reserved && !this.warnedReserve) {
      this.warnedReserve = true;
      this.warn("embed.slot_not_reserved", "the slot has no height before the card arrives, so the card shifts the layout; give it a min-height");
    }
    const card = element("section", reserved ? CLASSES.card : `${CLASSES.card} ${CLASSES.flow}`);
    card.setAttribute("role", "region");
    card.id = `${this.id}-card`;
    const ids = cardIds(this.id);
    card.setAttribute("aria-labelledby", ids.heading);
    card.dataset.decisionId = decision.decisionId;
    const headings = this.labels.heading;
    const text = typeof headings === "string" ? headings : (headings[decision.surface] ?? headings.default ?? DEFAULT_LABELS.heading.default);
    const heading = element(`h${this.options.headingLevel ?? 2}`, CLASSES.heading, text);
    heading.id = ids.heading;
    card.append(heading);
    offers.forEach((offer, index) => card.append(this.offerElement(offer, index, decision.currency)));
    card.addEventListener("focusin", (event) => {
      if (!card.contains(event.relatedTarget) && event.relatedTarget instanceof HTMLElement) this.returnFocus = event.relatedTarget;
    });
    card.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      const article = event.target instanceof Element ? event.target.closest(`.${CLASSES.offer}`) : null;
      const offer = article && offers.find((o) => o.offerId === article.dataset.offerId);
      if (!offer || this.shown.dismissed.has(offer.offerId)) return;
      event.preventDefault();
      event.stopPropagation();
      this.dismiss(offer, "escape");
    });
    this.slot.append(card);
    this.card = card;
    performance.mark?.("tactful:rendered");
    this.whenVisible(card, () => {
      for (const offer of offers) this.record({ type: "impression", offerId: offer.offerId, surface: decision.surface });
      this.expose(decision);
    });
  }

  offerElement(offer, index, currency) {
    const article = element("article", CLASSES.offer);
    article.dataset.offerId = offer.offerId;
    const titleId = cardIds(this.id).title(index);
    article.setAttribute("aria-labelledby", titleId);
    const title = element(`h${(this.options.headingLevel ?? 2) + 1}`, CLASSES.title, offer.title);
    title.id = titleId;
    const copy = element("p", CLASSES.copy, offer.copy);
    article.append(title, copy);
    if (offer.reasons.length) article.append(element("p", CLASSES.reason, offer.reasons[0]));
    const price = element("p", CLASSES.price);
    const format = this.options.formatPrice ?? formatMoney;
    if (offer.discountPercent > 0) {
      const was = element("s", CLASSES.was, format(offer.price, currency));
      was.setAttribute("aria-label", `${this.labels.was} ${format(offer.price, currency)}`);
      price.append(was, " ");
    }
    price.append(element("span", CLASSES.now, format(offer.finalPrice, currency)));
    const actions = element("div", CLASSES.actions);
    const accept = element("button", CLASSES.accept, this.labels.accept);
    accept.type = "button";
    accept.setAttribute("aria-describedby", titleId);
    accept.addEventListener("click", () => this.accept(offer));
    const dismiss = element("button", CLASSES.dismiss, this.labels.dismiss);
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", `${this.labels.dismiss}: ${this.labels.dismissHint} ${offer.title}`);
    dismiss.addEventListener("click", () => this.dismiss(offer, "button"));
    actions.append(accept, dismiss);
    const foot = element("div", CLASSES.foot);
    foot.append(price, actions);
    article.append(foot);
    return article;
  }

  whenVisible(target, then) {
    let done = false;
    const fire = () => {
      if (done || this.destroyed) return;
      done = true;
      cleanup();
      then();
    };
    const visibleNow = () => document.visibilityState === "visible";
    let inView = false;
    const observer = typeof IntersectionObserver === "function"
      ? new IntersectionObserver((entries) => {
        inView = entries.some((e) => e.isIntersecting && (e.intersectionRatio >= 0.5 || e.boundingClientRect.height === 0));
        if (inView && visibleNow()) fire();
      }, { threshold: [0, 0.5, 1] })
      : null;
    const onVisibility = () => {
      if (inView && visibleNow()) fire();
    };
    const cleanup = () => {
      observer?.disconnect();
      document.removeEventListener("visibilitychange", onVisibility);
      this.cleanups = this.cleanups.filter((c) => c !== cleanup);
    };
    this.cleanups.push(cleanup);
    document.addEventListener("visibilitychange", onVisibility);
    if (observer) observer.observe(target);
    else fire();
    this.unobserve = cleanup;
  }

  expose(decision) {
    if (this.reported.has(decision.decisionId)) return;
    this.reported.add(decision.decisionId);
    this.report({ type: "exposure", decisionId: decision.decisionId, holdout: decision.holdout, exposure: decision.exposure });
  }

  report(report) {
    try {
      this.options.onReport?.(report);
    } catch (error) {
      console.error("tactful: onReport threw", error);
    }
  }

  accept(offer) {
    const decision = this.shown?.decision;
    if (!decision || this.shown.dismissed.has(offer.offerId)) return;
    this.shown.dismissed.add(offer.offerId);
    this.record({ type: "accept", offerId: offer.offerId });
    this.report({ type: "accept", decisionId: decision.decisionId, offerId: offer.offerId, at: Math.round(this.now()) });
    const article = this.articleFor(offer);
    if (article) {
      const focused = article.contains(document.activeElement);
      const status = element("p", CLASSES.status, `${this.labels.added} ${offer.title}`);
      status.setAttribute("role", "status");
      status.tabIndex = -1;
      article.replaceChildren(status);
      if (focused) status.focus();
    }
    try {
      this.options.onAccept?.(offer, decision);
    } catch (error) {
      console.error("tactful: onAccept threw", error);
    }
  }

  dismiss(offer, via = "api") {
    const decision = this.shown?.decision;
    if (!decision || this.shown.dismissed.has(offer.offerId)) return;
    this.shown.dismissed.add(offer.offerId);
    this.record({ type: "dismiss", offerId: offer.offerId });
    this.report({ type: "dismiss", decisionId: decision.decisionId, offerId: offer.offerId, at: Math.round(this.now()), via });
    const article = this.articleFor(offer);
    const focused = Boolean(article?.contains(document.activeElement));
    article?.remove();
    const next = this.card?.querySelector(`.${CLASSES.offer}:not([hidden]) button`);
    if (!next) this.closeCard(focused);
    else if (focused) next.focus();
  }

  articleFor(offer) {
    return [...(this.card?.querySelectorAll(`.${CLASSES.offer}`) ?? [])].find((a) => a.dataset.offerId === offer.offerId);
  }

  /** Removes the card; the slot keeps its reserved size, so nothing below it moves. */
  closeCard(restoreFocus) {
    const focused = restoreFocus || Boolean(this.card?.contains(document.activeElement));
    this.card?.remove();
    this.card = null;
    if (!focused) return;
    const back = this.returnFocus;
    if (back && back.isConnected && !this.slot.contains(back)) {
      back.focus();
    } else {
      if (!this.slot.hasAttribute("tabindex")) this.slot.tabIndex = -1;
      this.slot.focus();
    }
  }

  clear() {
    this.unobserve?.();
    this.unobserve = null;
    if (this.card) this.closeCard(false);
    this.shown = null;
  }

  destroy() {
    this.clear();
    this.destroyed = true;
    this.host?.close();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}

function sameEvent(a, b) {
  return a.type === b.type && a.offerId === b.offerId && a.surface === b.surface && a.at === b.at;
}

/** The list without the first event equal to `event`. */
function withoutFirst(list, event) {
  const at = list.findIndex((e) => sameEvent(e, event));
  return at < 0 ? list : [...list.slice(0, at), ...list.slice(at + 1)];
}

function sameOffers(a, b) {
  return a.length === b.length && a.every((offer, i) => offer.offerId === b[i].offerId && offer.copy === b[i].copy);
}

const DEFAULT_LABELS = {
  heading: HEADINGS,
  accept: "Add",
  dismiss: DISMISS,
  dismissHint: "dismiss",
  added: "Added:",
  was: "was",
};

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text); // text only: never HTML
  return node;
}

// Money is formatted by hand: the first Intl.NumberFormat on a page loads locale data, which
// measured 20 ms of main thread (80 ms at 4x CPU throttling) for one price. A store that wants
// its locale's format passes `formatPrice` (Intl is fine once the page has used it anyway).
const SYMBOLS = { USD: "$", EUR: "€", GBP: "£", JPY: "¥", CAD: "CA$", AUD: "A$", NZD: "NZ$", INR: "₹", BRL: "R$", CHF: "CHF ", SEK: "SEK ", MXN: "MX$" };
const NO_MINOR_UNIT = new Set(["JPY", "KRW", "VND", "CLP", "ISK", "UGX", "PYG", "XAF", "XOF", "RWF", "KMF", "GNF", "DJF", "VUV", "XPF"]);

export function formatMoney(minor, currency) {
  const digits = NO_MINOR_UNIT.has(currency) ? 0 : 2;
  const amount = groupThousands((minor / 10 ** digits).toFixed(digits));
  return SYMBOLS[currency] ? `${SYMBOLS[currency]}${amount}` : `${amount} ${currency}`;
}

/** "1234567.50" → "1,234,567.50" (by hand: a regular expression is compiled on first use). */
function groupThousands(fixed) {
  const sign = fixed.startsWith("-") ? "-" : "";
  const [whole, fraction] = fixed.slice(sign.length).split(".");
  let grouped = whole.slice(0, whole.length % 3 || 3);
  for (let i = grouped.length; i < whole.length; i += 3) grouped += `,${whole.slice(i, i + 3)}`;
  return `${sign}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
}

/**
 * Runs `task` once the next frame has been painted (at once in a hidden page, which paints no
 * frames). Not scheduler.postTask: its first use measured 1.5 ms at 4x throttling.
 */
function later(task) {
  if (document.visibilityState === "hidden") setTimeout(task, 0);
  else requestAnimationFrame(() => setTimeout(task, 0));
}

/** Whether the page gave the slot a height of its own (read from style, not from layout). */
function isReserved(slot) {
  const style = getComputedStyle(slot);
  return parseFloat(style.minHeight) > 0 || (style.height !== "auto" && parseFloat(style.height) > 0) || slot.getBoundingClientRect().height >= 1;
}

/** A JSON list kept in localStorage; an unreadable one reads as empty (the list starts again). */
function storedList(key) {
  const stored = safeStorage(() => JSON.parse(localStorage.getItem(key) ?? "[]"));
  return Array.isArray(stored) ? stored : [];
}

function safeStorage(action) {
  try {
    return action();
  } catch {
    return null; // storage disabled, full, or blocked by the browser's privacy settings
  }
}

/** One cookie's value from a `document.cookie` string. */
function readCookie(cookies, name) {
  for (const part of cookies ? cookies.split("; ") : []) {
    const eq = part.indexOf("=");
    if (part.slice(0, eq) === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1));
      } catch {
        return part.slice(eq + 1);
      }
    }
  }
  return null;
}

// Built through the CSSOM, so a page's style-src policy need not allow inline styles. Every
// colour and size is a custom property the store can set on the slot. Only opacity moves, and
// only when the shopper has not asked for reduced motion. Text comes in the page's own size
// and weight plus two more (.85em, and 600 for the title and price): each new size or weight is
// a font the browser sets up in the card's layout, and five of them measured about 10 ms of it
// at 4x throttling.
const CSS = `
.tactful-slot { position: relative; }
.tactful-card { box-sizing: border-box; position: absolute; inset: 0; overflow: auto;
  display: flex; flex-direction: column; gap: .5rem; padding: var(--tactful-padding, .9rem 1rem);
  background: var(--tactful-bg, #fff); color: var(--tactful-fg, #1d1d1f);
  border: 1px solid var(--tactful-border, #d0d0d7); border-radius: var(--tactful-radius, .6rem);
  font: var(--tactful-font, inherit); font-size: var(--tactful-font-size, 1em); line-height: 1.4; }
.tactful-card--flow { position: static; }
.tactful-heading { margin: 0; font-size: .85em; letter-spacing: .04em; text-transform: uppercase;
  color: var(--tactful-muted, #5b5b66); }
.tactful-offer { display: grid; gap: .25rem; }
.tactful-offer + .tactful-offer { border-top: 1px solid var(--tactful-border, #d0d0d7); padding-top: .5rem; }
.tactful-title { margin: 0; font-size: 1em; font-weight: 600; }
.tactful-copy, .tactful-reason, .tactful-price, .tactful-status { margin: 0; overflow-wrap: anywhere; }
.tactful-reason { font-size: .85em; color: var(--tactful-muted, #5b5b66); }
.tactful-price { font-weight: 600; }
.tactful-was { font-weight: 400; color: var(--tactful-muted, #5b5b66); }
.tactful-foot { display: flex; align-items: center; justify-content: space-between; gap: .5rem; flex-wrap: wrap; margin-top: .2rem; }
.tactful-actions { display: flex; gap: .5rem; flex-wrap: wrap; }
.tactful-actions button { font: inherit; padding: .35rem .9rem; border-radius: .4rem; cursor: pointer;
  border: 1px solid var(--tactful-accent, #3b3bb3); }
.tactful-accept { background: var(--tactful-accent, #3b3bb3); color: var(--tactful-on-accent, #fff); }
.tactful-dismiss { background: transparent; color: var(--tactful-accent, #3b3bb3); }
.tactful-actions button:focus-visible, .tactful-status:focus-visible { outline: 3px solid var(--tactful-focus, #f5a623); outline-offset: 2px; }
@media (prefers-reduced-motion: no-preference) {
  .tactful-card { animation: tactful-in .18s ease-out; }
  @keyframes tactful-in { from { opacity: 0; } to { opacity: 1; } }
}
`;

let stylesAdopted = false;
function adoptStyles(styles) {
  if (styles === false || stylesAdopted) return;
  stylesAdopted = true;
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    document.adoptedStyleSheets = [sheet, ...document.adoptedStyleSheets];
  } catch {
    const style = document.createElement("style");
    style.textContent = CSS;
    document.head.append(style);
  }
}

export { VERSION };
