// What the shopper does, as signals for the next decision: the dataLayer (GTM's and
// gtag's e-commerce events), `data-tactful-event` clicks, explicit `track()` calls, and the
// slot's own data- attributes. Methods of the widget (`this` is the widget: its events, items,
// store and schedule), kept here so each concern has its own file.
import { safeStorage, storedList } from "./storage.js";
import { embedError } from "./errors.js";

const MAX_EVENTS = 256;
/** How many purchases' transaction ids are kept, so a reloaded thank-you page counts once. */
const MAX_TRANSACTIONS = 20;
/** GTM's own lifecycle events (`gtm.js`, `gtm.dom`, ...), which say nothing about the shopper. */
const INTERNAL_EVENT_PREFIX = "gtm.";

export const signals = {
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
      // The widget's own GA4 events (`ga4`) are the store's analytics', not signals to decide on.
      if (!widget.promoting) for (const entry of entries) if (widget.signal(entry, Math.round(widget.now()))) widget.schedule();
      return result;
    };
    this.cleanups.push(() => {
      layer.push = push;
    });
  },

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
  },

  /**
   * Whether a purchase with this GA4 `transaction_id` was recorded before. A thank-you page
   * keeps its `purchase` in the dataLayer, so every reload would record it again (and restart
   * the quiet period after a purchase); the ids of the last purchases are kept beside memory.
   */
  seenTransaction(id) {
    if (typeof id !== "string" && typeof id !== "number") return false;
    const key = `${this.store.storageKey}:transactions`;
    const consented = this.store.consented();
    let seen = (this.transactions ??= []);
    if (consented) seen = storedList(key).map(String);
    if (seen.includes(String(id))) return true;
    seen.push(String(id));
    if (consented) safeStorage(() => localStorage.setItem(key, JSON.stringify(seen.slice(-MAX_TRANSACTIONS))));
    return false;
  },

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
        if (!this.seenTransaction(transactionId)) this.store.record({ type: "purchase" });
        break;
      default:
    }
  },

  addEvent(event) {
    const clean = { name: String(event.name).slice(0, 256), at: Math.round(event.at ?? this.now()) };
    if (event.label !== undefined && event.label !== null && String(event.label)) clean.label = String(event.label).slice(0, 256);
    this.events.push(clean);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  },

  /** An explicit signal: `track("view_reviews")` or `track({ name, label, at })`. */
  track(event) {
    const e = typeof event === "string" ? { name: event } : event;
    if (!e || typeof e.name !== "string" || !e.name) throw embedError("embed.bad_event", "track() takes an event name or { name, label?, at? }");
    this.addEvent({ name: e.name, at: e.at ?? this.now(), label: e.label });
    this.itemsFrom(e.name, Array.isArray(e.items) ? e.items : []);
    return this.schedule();
  },

  watchAttributes() {
    const onClick = (event) => {
      const target = event.target instanceof Element ? event.target.closest("[data-tactful-event]") : null;
      if (!target) return;
      this.addEvent({ name: target.dataset.tactfulEvent, at: this.now(), label: target.dataset.tactfulLabel });
      this.schedule();
    };
    document.addEventListener("click", onClick, true);
    this.cleanups.push(() => document.removeEventListener("click", onClick, true));
  },

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
  },
};
