// The shopper's memory on the page, behind a small interface: where it is kept
// (localStorage, and the edge worker's cookie when the page arrived with one), consent, and the
// list of events recorded but not yet stored. Every change is engine work (a message to the
// worker), run one at a time through the widget's `serial`.
//
//   const store = new MemoryStore({ options, now, warn, serial });
//   store.host = host;                 // once the engine is connected
//   store.shopperKey(cookies)          // the key to decide with
//   await store.load(cookies)          // every copy, merged; pending events replayed
//   store.memory, store.readOnly       // what to decide with; whether it may be written
//   store.record(event), store.persist(), store.watch(cleanups), store.setConsent(given)
import { MEMORY_COOKIE, MAX_COOKIE_MEMORY, SID_COOKIE } from "../contract.js";

/** How many recorded events may wait to be stored (see `record`); the oldest go first. */
const MAX_PENDING = 64;

export class MemoryStore {
  constructor({ options, now, warn, serial }) {
    this.options = options;
    this.now = now;
    this.warn = warn;
    this.serial = serial;
    this.host = null;
    this.storageKey = options.storageKey ?? "tactful:memory";
    this.cookieName = options.cookie === false ? null : (options.cookie ?? MEMORY_COOKIE);
    this.memory = "";
    this.readOnly = false;
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

  /** Reads every copy (localStorage, the edge cookie) and merges them; bad copies are dropped. */
  async load(cookies = document.cookie) {
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
    return memory ? this.host.call("mergeMemory", memory, opened.memory) : opened.memory;
  }

  /** Writes memory back, merged with whatever another tab wrote meanwhile. */
  async persist() {
    if (this.readOnly || !this.consented()) return;
    const read = () => safeStorage(() => localStorage.getItem(this.storageKey));
    // Merging is a message to the worker: a tab may write meanwhile, so read again after it.
    let stored;
    for (let seen = null; (stored = read()) && stored !== this.memory && stored !== seen; seen = stored) {
      try {
        this.memory = await this.host.call("mergeMemory", this.memory, await this.host.call("parseMemory", stored));
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
  /** (Call it with the widget's cleanups: it stops listening when they run.) */
  watch(cleanups) {
    const merge = (text) => this.serial(async () => {
      if (this.consented() && text !== this.memory) this.memory = await this.mergeCopy(this.memory, text, "another tab");
    });
    const onStorage = (event) => {
      if (event.key === this.storageKey && event.newValue) merge(event.newValue);
    };
    addEventListener("storage", onStorage);
    cleanups.push(() => removeEventListener("storage", onStorage));
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
      return this.serial(async () => {});
    }
    return this.serial(async () => {
      const memory = this.memory;
      await this.load();
      if (memory) this.memory = this.memory ? await this.host.call("mergeMemory", this.memory, memory) : memory;
      await this.persist();
    });
  }

  /**
   * The shopper key: the edge worker's `tactful_sid` cookie when there is one (so the page and
   * the edge bucket the shopper alike), else the one kept in localStorage, else a fresh one.
   */
  shopperKey(cookies) {
    const key = "tactful:sid";
    const edge = this.cookieName && this.consented() ? readCookie(cookies, SID_COOKIE) : null;
    if (edge) return edge;
    const stored = this.consented() ? safeStorage(() => localStorage.getItem(key)) : null;
    if (stored) return stored;
    const fresh = crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    if (this.consented()) safeStorage(() => localStorage.setItem(key, fresh));
    return fresh;
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

/** A JSON list kept in localStorage; an unreadable one reads as empty (the list starts again). */
export function storedList(key) {
  const stored = safeStorage(() => JSON.parse(localStorage.getItem(key) ?? "[]"));
  return Array.isArray(stored) ? stored : [];
}

export function safeStorage(action) {
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
