// tactful/edge: a storefront edge worker in a few lines. `createEdgeWorker(options)` returns
// the default export of a module worker (Cloudflare Workers API: workerd, Cloudflare, wrangler)
// that sits in front of a storefront origin and writes the offer into the HTML the shopper
// receives: no flicker, no client-side script, no call to anything but the origin.
//
//   import wasm from "tactful/tactful_bg.wasm";
//   import snapshot from "./my-store.snap";
//   import { createEdgeWorker } from "tactful/edge";
//   export default createEdgeWorker({ wasm, snapshot, accept: "/cart/add?offer={offerId}" });
//
// What it does, and why this way:
//
// - Options are checked when the worker module loads, so a mistake fails the deploy (or
//   `wrangler dev`) with an `OptionsError` naming the option, never a shopper's request. A
//   snapshot whose bytes cannot be loaded is different: that is data, not code, and the worker
//   logs why and proxies pages untouched, so a bad snapshot never takes the store down.
// - The wasm is handed over as a compiled module (the runtime compiles an imported `.wasm` when
//   the worker loads; edge runtimes refuse to compile bytes at run time); the snapshot as bytes
//   (a data module's ArrayBuffer). The engine is loaded once per isolate.
// - Only a successful (200) HTML answer to a GET is touched. Every other answer, every origin
//   error (404, 500, a 304), every asset and every other method is the origin's `Response`
//   handed back as it is, byte for byte.
// - The page names the surface: `<div data-tactful-slot="checkout">` (the attribute's value is
//   the surface). The origin may put the context it knows on the slot as JSON
//   (`data-tactful-context='{"cart":["course-foundations"]}'`); the worker adds `surface`, `now`
//   and `shopperKey`, which the page cannot set.
// - The page is read whole before it is answered: the memory cookie goes in a response header,
//   which must precede the body, and the decision depends on the slot found in the body. A
//   storefront page is tens of kilobytes; a page over `MAX_PAGE_BYTES` is passed through.
// - Memory lives in first-party cookies (the contract with the browser embed): `tactful_sid`
//   holds the shopper key (random, base64url, made by whichever side finds it absent) and
//   `tactful_mem` the memory string exactly as the engine writes it (base64url, so
//   cookie-safe). Both are `Secure; SameSite=Lax` and not `HttpOnly`, because the embed script
//   reads them to merge with localStorage. The engine prunes memory at every decision; a
//   memory that would still not fit `MAX_MEMORY_BYTES` is not written (and logged), never cut.
// - A cookie that is too long, not base64url, truncated, tampered with or from something else
//   gives fresh memory (the engine itself turns unreadable memory into fresh memory and a
//   warning); the page is still served.
// - An offer shown in the page is recorded as an impression in the memory cookie, so caps hold
//   at the edge. `POST /tactful/event` records `dismiss` and `accept` (and `impression` or
//   `purchase`, for in-page widgets) with the worker's time; the card's "No thanks" is a plain
//   form posting there, so dismissal works with no script. Events are recorded by the loaded
//   engine (`engine.record`), bound to this store: one naming an offer the snapshot does not
//   have is refused (400, `memory.bad_event`, path `offerId`), and neither recorded nor logged.
//   `GET /tactful/decide` answers the
//   decision JSON (byte for byte what `tactful decide` prints) for in-page widgets.
// - The card's "Add" is a plain form too, posting to `POST /tactful/accept`, which records
//   `accept` in the memory cookie and then sends the shopper to the store's `accept` target:
//   a 303 to a URL template, or the store's own add-to-cart form post, forwarded to the origin.
//   Why through the worker, and why a POST: the memory cookie is the only copy of the memory at
//   the edge, and recording the accept in the same response that moves the shopper on cannot
//   race a page view (a script's beacon beside a link could); a GET link that records would be
//   followed by prefetchers and crawlers, and by a link on another site (Lax cookies ride on
//   top-level GETs), each of which would stop the offer for good (an accepted offer is not
//   offered again). A forwarded form records only once the origin took it (below 400): there
//   the worker sees the outcome. A redirect it cannot see past, so it records the shopper's
//   choice, which is what `accept` means; the purchase is its own event.
// - `/tactful/accept` must refuse ids that are not offers, and the engine has no catalog
//   lookup (the wasm module is at its size budget). So the card's form carries a check, a
//   SHA-256 of the store id and the offer id: an id that no card of this store carried is
//   refused (400, `accept.unknown_offer`). It is a check, not a secret: anyone can compute
//   it, and all a forger gains is the accept target, which they could open themselves. It
//   does not name the snapshot, so cards served before a deploy stay good after it.
// - The card links its stylesheet, `GET /tactful/card.css` (the embed's, from the contract),
//   and has the embed's structure, class names and default texts; `labels` change the texts.
// - A decision that fails (a bad context on a slot, a bug) never breaks the page: the slot is
//   left as the origin sent it, and the worker logs why as one JSON line on stderr.
// - Anyone can send the worker anything, so what one request can cost is bounded before any
//   parsing: a decide query over `MAX_QUERY_BYTES` and an event or accept body over
//   `MAX_EVENT_BYTES` (by its declared length, then as read) are refused with typed errors; a
//   page decides at most `MAX_SLOTS` slots; and each decision is bounded by the engine's own
//   limits, whatever its context holds.
// - The card is text only: every string from the catalog or the decision is escaped.
// - Time: the engine reads no clock. The worker passes `Date.now()`, or, only when the
//   environment sets `TACTFUL_TEST_MODE = "on"`, the `x-tactful-now` request header.
//
// Environment (bindings, read at each request): `ORIGIN` (a service binding) or `ORIGIN_URL`
// (the origin's base URL), unless the `origin` option says otherwise; `TACTFUL = "off"` proxies
// without tactful (a baseline to measure against); `TACTFUL_TEST_MODE = "on"` honours
// `x-tactful-now`.
import { Engine, init } from "./tactful.js";
import {
  ACCEPT,
  CARD_CSS,
  CLASSES as C,
  DISMISS,
  DISMISS_HINT,
  HEADINGS,
  MAX_COOKIE_MEMORY,
  MEMORY_COOKIE,
  SID_COOKIE,
  WAS,
  cardIds,
} from "../embed/contract.js";

/** The longest memory cookie value written or read (the contract with the embed). */
export const MAX_MEMORY_BYTES = MAX_COOKIE_MEMORY;
/** The longest page the worker reads to fill a slot; longer pages pass through untouched. */
export const MAX_PAGE_BYTES = 2 * 1024 * 1024;
/** The longest body `POST /tactful/event` and `POST /tactful/accept` read. */
export const MAX_EVENT_BYTES = 4096;
/** The longest query string `GET /tactful/decide` reads; a context a widget sends is far less. */
export const MAX_QUERY_BYTES = 8192;
/** Most slots decided in one page (each is a decision); further slots are left as they are. */
export const MAX_SLOTS = 8;
const COOKIE_MAX_AGE = 60 * 60 * 24 * 365;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const SHOPPER_KEY = /^[A-Za-z0-9_-]{16,128}$/;
const SURFACES = ["checkout", "cart", "product_page", "in_product", "post_purchase", "email"];
const OPTIONS = ["wasm", "snapshot", "accept", "origin", "labels", "formatPrice", "log", "logDecisions"];
/** `added` is the embed's (its card stays in the page); accepted so one object serves both. */
const LABELS = ["heading", "accept", "dismiss", "dismissHint", "was", "added"];
const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * The module worker for a storefront: `{ fetch(request, env, ctx) }`, to export as default.
 * Throws an `OptionsError` (code `options.*`, `path` naming the option) for options that could
 * never work; see edge.d.ts for each option.
 */
export function createEdgeWorker(options) {
  const config = readOptions(options);
  const engine = loadEngine(config.wasm, config.snapshot);
  const worker = new EdgeWorker(engine, config);
  return { fetch: (request, env, ctx) => worker.fetch(request, env ?? {}, ctx) };
}

function optionsError(code, path, message) {
  const error = new TypeError(`tactful/edge: ${path}: ${message}`);
  error.name = "OptionsError";
  error.code = code;
  error.path = path;
  return error;
}

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

function unknownKeys(object, known, path) {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) throw optionsError("options.unknown", `${path}${key}`, `not an option (the options are ${known.join(", ")})`);
  }
}

/** The options, checked; each mistake is an OptionsError naming its path. */
function readOptions(options) {
  if (!isObject(options)) throw optionsError("options.type", "options", "createEdgeWorker takes an object of options");
  unknownKeys(options, OPTIONS, "");
  if (!(options.wasm instanceof WebAssembly.Module)) {
    throw optionsError(
      "options.type",
      "wasm",
      "a compiled WebAssembly.Module: import the .wasm (`import wasm from \"tactful/tactful_bg.wasm\"`); edge runtimes cannot compile bytes",
    );
  }
  const { snapshot } = options;
  if (!(snapshot instanceof ArrayBuffer || snapshot instanceof Uint8Array)) {
    throw optionsError("options.type", "snapshot", "the snapshot's bytes, an ArrayBuffer (a data module) or a Uint8Array");
  }
  const { formatPrice = money } = options;
  if (typeof formatPrice !== "function") {
    throw optionsError("options.type", "formatPrice", "a function of (minor units, currency code) returning the price's text");
  }
  return {
    wasm: options.wasm,
    snapshot,
    accept: readAccept(options.accept),
    origin: readOrigin(options.origin),
    labels: readLabels(options.labels),
    formatPrice,
    ...readLog(options),
  };
}

/** `log` (a function given each record) and `logDecisions` (exposures become decision records). */
function readLog({ log, logDecisions }) {
  if (log !== undefined && typeof log !== "function") throw optionsError("options.type", "log", "a function, given each log record (www/docs/logs.md)");
  if (logDecisions !== undefined && typeof logDecisions !== "boolean") throw optionsError("options.type", "logDecisions", "true or false");
  if (logDecisions && !log) throw optionsError("options.required", "log", "logDecisions logs through the log function: give one");
  return { record: log, logDecisions: Boolean(logDecisions) };
}

/** A text whose only placeholder is `{offerId}`; returns whether it has one. */
function checkTemplate(text, path) {
  if (typeof text !== "string") throw optionsError("options.type", path, "a string");
  const names = [...text.matchAll(PLACEHOLDER)].map((m) => m[1]);
  const other = names.find((name) => name !== "offerId");
  if (other !== undefined) throw optionsError("options.template", path, `{${other}} is not a placeholder (the one placeholder is {offerId})`);
  return names.length > 0;
}

/** A path on this site ("/cart/add"), or an absolute http(s) URL when `absolute` is allowed. */
function checkTarget(text, path, absolute) {
  if (text.startsWith("/") && !text.startsWith("//")) return;
  if (absolute && /^https?:\/\/[^/]/i.test(text)) return;
  throw optionsError("options.template", path, absolute ? "a path (\"/cart/add?offer={offerId}\") or an http(s) URL" : "a path on the store (\"/cart/add\")");
}

/**
 * Where the card's Add sends the shopper: a URL template (`"/cart/add?offer={offerId}"`), or a
 * form post the origin handles (`{ action, method: "post", fields }`).
 */
function readAccept(accept) {
  if (accept === undefined) {
    throw optionsError("options.required", "accept", "where the card's Add sends the shopper, e.g. \"/cart/add?offer={offerId}\"");
  }
  if (typeof accept === "string") {
    checkTarget(accept, "accept", true);
    if (!checkTemplate(accept, "accept")) throw optionsError("options.template", "accept", "the template has no {offerId}");
    return { url: accept };
  }
  if (!isObject(accept)) throw optionsError("options.type", "accept", "a URL template string, or { action, method: \"post\", fields }");
  unknownKeys(accept, ["action", "method", "fields"], "accept.");
  if (typeof accept.action !== "string") throw optionsError("options.type", "accept.action", "the path the origin's add-to-cart form posts to");
  checkTarget(accept.action, "accept.action", false);
  if (accept.method !== undefined && String(accept.method).toLowerCase() !== "post") {
    throw optionsError("options.template", "accept.method", "the form is posted (\"post\"); for a GET, give a URL template string instead");
  }
  if (!isObject(accept.fields)) throw optionsError("options.type", "accept.fields", "the form's fields, { name: \"value or {offerId}\" }");
  let placed = checkTemplate(accept.action, "accept.action");
  for (const [name, value] of Object.entries(accept.fields)) {
    if (checkTemplate(value, `accept.fields.${name}`)) placed = true;
  }
  if (!placed) throw optionsError("options.template", "accept.fields", "no field (nor the action) has {offerId}");
  return { action: accept.action, fields: { ...accept.fields } };
}

/** `undefined` (the environment's ORIGIN or ORIGIN_URL), a base URL, or `{ binding }`. */
function readOrigin(origin) {
  if (origin === undefined) return { fromEnv: true };
  if (typeof origin === "string") {
    let url;
    try {
      url = new URL(origin);
    } catch {
      throw optionsError("options.type", "origin", `not a URL: ${origin}`);
    }
    if (!/^https?:$/.test(url.protocol) || url.pathname !== "/" || url.search || url.hash) {
      throw optionsError("options.type", "origin", "an http(s) base URL with no path, e.g. \"https://origin.example.com\"");
    }
    return { url };
  }
  if (isObject(origin) && typeof origin.binding === "string" && Object.keys(origin).length === 1) return { binding: origin.binding };
  throw optionsError("options.type", "origin", "a base URL string, or { binding: \"NAME\" } for a service binding");
}

/** The card's texts: the contract's English defaults, with the store's over them. */
function readLabels(labels = {}) {
  if (!isObject(labels)) throw optionsError("options.type", "labels", "an object of texts");
  unknownKeys(labels, LABELS, "labels.");
  const text = (name, fallback) => {
    const value = labels[name];
    if (value === undefined) return fallback;
    if (typeof value !== "string" || value.trim() === "") throw optionsError("options.type", `labels.${name}`, "a non-empty string");
    return value;
  };
  text("added", "");
  let headings = { ...HEADINGS };
  if (typeof labels.heading === "string") {
    headings = { default: text("heading") };
  } else if (labels.heading !== undefined) {
    if (!isObject(labels.heading)) throw optionsError("options.type", "labels.heading", "a string, or texts by surface ({ checkout, cart, ..., default })");
    for (const [surface, value] of Object.entries(labels.heading)) {
      const path = `labels.heading.${surface}`;
      if (surface !== "default" && !SURFACES.includes(surface)) throw optionsError("options.unknown", path, `not a surface (${SURFACES.join(", ")}, or default)`);
      if (typeof value !== "string" || value.trim() === "") throw optionsError("options.type", path, "a non-empty string");
      headings[surface] = value;
    }
  }
  return {
    heading: (surface) => headings[surface] ?? headings.default,
    accept: text("accept", ACCEPT),
    dismiss: text("dismiss", DISMISS),
    dismissHint: text("dismissHint", DISMISS_HINT),
    was: text("was", WAS),
  };
}

function loadEngine(wasm, snapshot) {
  try {
    init(wasm);
    const engine = Engine.fromBytes(snapshot instanceof Uint8Array ? snapshot : new Uint8Array(snapshot));
    return { engine, storeId: engine.info().storeId };
  } catch (error) {
    log("engine_unavailable", error);
    return null;
  }
}

/** One JSON line on stderr: what happened, and the error's name, code and path if any. */
function log(what, error, extra = {}) {
  const line = { tactful: what, ...extra };
  if (error) {
    line.name = error.name;
    if (error.code) line.code = error.code;
    if (error.path) line.path = error.path;
    line.message = error.message;
  }
  console.error(JSON.stringify(line));
}

class EdgeWorker {
  constructor(loaded, config) {
    this.engine = loaded?.engine ?? null;
    this.storeId = loaded?.storeId ?? "";
    this.config = config;
  }

  async fetch(request, env, ctx) {
    const upstream = this.originFetcher(env);
    if (env.TACTFUL === "off" || !this.engine) return upstream(request);
    const url = new URL(request.url);
    if (url.pathname === "/tactful/event") return this.handleEvent(request, env, url, ctx);
    if (url.pathname === "/tactful/accept") return this.handleAccept(request, env, url, upstream, ctx);
    if (url.pathname === "/tactful/decide") return this.handleDecide(request, env, url);
    if (url.pathname === "/tactful/explain") return this.handleDecide(request, env, url, true);
    if (url.pathname === "/tactful/card.css") return cardStyles();
    const response = await upstream(request);
    if (request.method !== "GET" || response.status !== 200 || !isHtml(response)) return response;
    const length = Number(response.headers.get("content-length") ?? 0);
    if (length > MAX_PAGE_BYTES) {
      log("page_too_large", null, { url: url.pathname, bytes: length });
      return response;
    }
    return this.personalise(request, env, response, ctx);
  }

  /** How the worker reaches the origin: the `origin` option, else a service binding or a base URL. */
  originFetcher(env) {
    const { origin } = this.config;
    const binding = origin.fromEnv ? env.ORIGIN : env[origin.binding];
    if (binding && typeof binding.fetch === "function") return (request) => binding.fetch(request);
    const base = origin.url ?? (origin.fromEnv && env.ORIGIN_URL ? new URL(env.ORIGIN_URL) : null);
    if (!base) {
      return () => {
        const message = origin.fromEnv ? "configure an ORIGIN service binding or an ORIGIN_URL" : `no service binding ${origin.binding}`;
        log("no_origin", null, { message });
        return new Response("tactful: no origin configured\n", { status: 502 });
      };
    }
    return (request) => {
      const url = new URL(request.url);
      url.protocol = base.protocol;
      url.host = base.host;
      return fetch(new Request(url, request));
    };
  }

  /** The page with its slots filled, and the shopper's cookies. */
  async personalise(request, env, response, ctx) {
    const shopper = shopperFrom(request);
    const now = nowFor(request, env);
    let filled = 0;
    let slots = 0;
    const rewriter = new HTMLRewriter().on("[data-tactful-slot]", {
      element: async (slot) => {
        slots += 1;
        if (slots > MAX_SLOTS) {
          if (slots === MAX_SLOTS + 1) log("too_many_slots", null, { url: new URL(request.url).pathname, limit: MAX_SLOTS });
          return;
        }
        try {
          if (await this.fillSlot(slot, shopper, now, ctx)) filled += 1;
        } catch (error) {
          log("decision_failed", error, { url: new URL(request.url).pathname });
        }
      },
    });
    const body = await rewriter.transform(response).arrayBuffer();
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    if (filled > 0) {
      headers.delete("etag");
      headers.delete("last-modified");
    }
    withCookies(headers, shopper);
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  }

  /**
   * Decides for one slot and writes its cards; the shown offers become impressions in memory.
   * Resolves to whether any offer was written. Throws what the engine throws (a ContextError).
   */
  async fillSlot(slot, shopper, now, ctx) {
    const surface = slot.getAttribute("data-tactful-slot");
    const context = {
      ...pageContext(slot.getAttribute("data-tactful-context")),
      surface,
      now,
      shopperKey: shopper.key,
    };
    // The card is written into the page, so every offer shown is seen: the engine records the
    // impressions in the memory it returns (memory from a newer engine comes back unchanged).
    const decisionRecord = this.config.logDecisions;
    const { decision, memory } = this.engine.decide(context, shopper.memory, { recordImpressions: true, copy: true, decisionRecord });
    shopper.memory = memory;
    // Written into the page, so it reached the shopper (for a holdout, its empty slot).
    if (decision.exposure.offers.length) this.logRecord(decision.exposure, ctx);
    for (const warning of decision.warnings) log("warning", null, { code: warning.code, message: warning.message });
    slot.setAttribute("data-tactful-decision", decision.decisionId);
    if (decision.offers.length === 0) return false;
    const checks = await Promise.all(decision.offers.map((offer) => acceptCheck(this.storeId, offer.offerId)));
    slot.setInnerContent(this.card(decision, checks), { html: true });
    return true;
  }

  /**
   * The offers as the card the embed renders: the same structure, class names and texts
   * (`tactful/contract`), so one stylesheet serves both. Text only, escaped. Add and No thanks
   * are plain forms posting to the worker, so they work without any script on the page.
   */
  card(decision, checks) {
    const e = escapeHtml;
    const { labels } = this.config;
    const id = `tactful-${e(decision.decisionId)}`;
    // Each form names its decision, for the accept and dismiss log records.
    const decisionField = `<input type="hidden" name="decisionId" value="${e(decision.decisionId)}">`;
    const ids = cardIds(id);
    // The store's formatPrice (its locale); one that throws falls back to the default, as a
    // card half-written would be worse than a price in the wrong format.
    const price = (minor) => {
      try {
        return String(this.config.formatPrice(minor, decision.currency));
      } catch (error) {
        log("format_price_failed", error);
        return money(minor, decision.currency);
      }
    };
    const offers = decision.offers.map((offer, i) => {
      const titleId = ids.title(i);
      const words = offer.text; // asked for with { copy: true }: only the shown offers' words
      const title = e(words.title);
      const offerId = e(offer.offerId);
      const was = offer.discountPercent > 0 ? price(offer.price) : null;
      const wasHtml = was ? `<s class="${C.was}" aria-label="${e(labels.was)} ${e(was)}">${e(was)}</s> ` : "";
      const reason = words.reasons.length > 0 ? `<p class="${C.reason}">${e(words.reasons[0])}</p>` : "";
      return (
        `<article class="${C.offer}" data-offer-id="${offerId}" data-frame="${e(offer.frame)}" aria-labelledby="${titleId}">` +
        `<h3 class="${C.title}" id="${titleId}">${title}</h3>` +
        `<p class="${C.copy}">${e(words.copy)}</p>` +
        reason +
        `<div class="${C.foot}"><p class="${C.price}">${wasHtml}<span class="${C.now}">${e(price(offer.finalPrice))}</span></p>` +
        `<div class="${C.actions}">` +
        `<form method="post" action="/tactful/accept"><input type="hidden" name="offerId" value="${offerId}">` +
        `<input type="hidden" name="check" value="${checks[i]}">${decisionField}` +
        `<button class="${C.accept}" type="submit" aria-label="${e(labels.accept)} ${title}">${e(labels.accept)}</button></form>` +
        `<form method="post" action="/tactful/event"><input type="hidden" name="type" value="dismiss">` +
        `<input type="hidden" name="offerId" value="${offerId}">${decisionField}` +
        `<button class="${C.dismiss}" type="submit" aria-label="${e(labels.dismiss)}: ${e(labels.dismissHint)} ${title}">${e(labels.dismiss)}</button></form>` +
        `</div></div></article>`
      );
    });
    // The card's own stylesheet, same-origin (so a page's style-src 'self' allows it), fetched
    // once per page however many slots link it.
    return (
      `<link rel="stylesheet" href="/tactful/card.css">` +
      `<section class="${C.card} ${C.flow}" role="region" aria-labelledby="${ids.heading}" data-decision-id="${e(decision.decisionId)}">` +
      `<h2 class="${C.heading}" id="${ids.heading}">${e(labels.heading(decision.surface))}</h2>` +
      offers.join("") +
      `</section>`
    );
  }

  /**
   * Gives a log record to the store's `log` function; a promise it returns is waited for
   * (`ctx.waitUntil`) without holding the response. A failing `log` never fails the page.
   */
  logRecord(record, ctx) {
    if (!this.config.record) return;
    try {
      const pending = this.config.record(record);
      if (pending && typeof pending.then === "function") {
        const settled = Promise.resolve(pending).catch((error) => log("log_failed", error));
        ctx?.waitUntil?.(settled);
      }
    } catch (error) {
      log("log_failed", error);
    }
  }

  /** An accept or dismiss record, when the form named the decision its card came from. */
  logOutcome(ctx, type, form, offerId, at, shopper, via) {
    const decisionId = form.decisionId;
    if (typeof decisionId !== "string" || decisionId === "") return;
    this.logRecord({ type, v: 1, decisionId, offerId, at, shopperKey: shopper.key, ...(via && { via }) }, ctx);
  }

  /** `POST /tactful/event`: records an event into the memory cookie with the worker's time. */
  async handleEvent(request, env, url, ctx) {
    const refused = refuse(request, url, "event");
    if (refused) return refused;
    const text = await readBody(request);
    if (text === null) return tooLarge("event");
    const form = isForm(request);
    let event;
    try {
      event = form ? Object.fromEntries(new URLSearchParams(text)) : JSON.parse(text);
    } catch {
      return json(400, errorBody(typedError("ContextError", "event.not_json", "", "the event is not JSON")));
    }
    if (!isObject(event)) {
      return json(400, errorBody(typedError("ContextError", "event.not_object", "", "the event is not a JSON object")));
    }
    const shopper = shopperFrom(request);
    const { decisionId: _, ...memoryEvent } = event;
    const at = nowFor(request, env);
    try {
      shopper.memory = this.engine.record(shopper.memory, { ...memoryEvent, at });
    } catch (error) {
      return json(400, errorBody(error));
    }
    if (event.type === "dismiss") this.logOutcome(ctx, "dismiss", event, event.offerId, at, shopper, form ? "button" : "api");
    const headers = withCookies(new Headers(), shopper);
    if (form) {
      headers.set("location", sameSiteReferrer(request, url));
      return new Response(null, { status: 303, headers });
    }
    return json(200, { recorded: event.type, memoryBytes: shopper.memory.length }, headers);
  }

  /**
   * `POST /tactful/accept` (the card's Add, a form of `offerId` and `check`): records `accept`
   * and sends the shopper on to the `accept` target (see the module's header for why).
   */
  async handleAccept(request, env, url, upstream, ctx) {
    const refused = refuse(request, url, "accept");
    if (refused) return refused;
    if (!isForm(request)) {
      return json(415, errorBody(typedError("ContextError", "accept.not_form", "", "the card's Add posts a form (application/x-www-form-urlencoded)")));
    }
    const text = await readBody(request);
    if (text === null) return tooLarge("accept");
    const form = new URLSearchParams(text);
    const offerId = form.get("offerId") ?? "";
    if (offerId === "") return json(400, errorBody(typedError("ContextError", "accept.no_offer", "offerId", "the form names no offerId")));
    if (form.get("check") !== (await acceptCheck(this.storeId, offerId))) {
      return json(400, errorBody(typedError("ContextError", "accept.unknown_offer", "offerId", `no card of this store offered ${JSON.stringify(offerId.slice(0, 64))}`)));
    }
    const shopper = shopperFrom(request);
    const at = nowFor(request, env);
    try {
      shopper.memory = this.engine.record(shopper.memory, { type: "accept", offerId, at });
    } catch (error) {
      // The check proves a card of this store offered it, so the shopper's Add goes through;
      // memory stays as it was (an offer a snapshot updated since no longer has, or memory a
      // newer tactful wrote, which is never overwritten).
      log("accept_not_recorded", error, { offerId });
    }
    this.logOutcome(ctx, "accept", Object.fromEntries(form), offerId, at, shopper);
    const { accept } = this.config;
    if (accept.url) {
      const headers = withCookies(new Headers({ location: fill(accept.url, offerId) }), shopper);
      return new Response(null, { status: 303, headers });
    }
    // The origin's own add-to-cart form, posted with the shopper's headers (its session cookie
    // finds the cart); its answer (a redirect to the cart, usually) goes back as it is.
    const headers = new Headers(request.headers);
    headers.delete("content-length");
    headers.set("content-type", "application/x-www-form-urlencoded");
    const fields = new URLSearchParams(Object.entries(accept.fields).map(([name, value]) => [name, fill(value, offerId)]));
    const target = new URL(fill(accept.action, offerId), url);
    const response = await upstream(new Request(target, { method: "POST", headers, body: fields.toString(), redirect: "manual" }));
    if (response.status >= 400) {
      log("accept_refused_by_origin", null, { status: response.status, offerId });
      return response;
    }
    const answer = new Response(response.body, response);
    withCookies(answer.headers, shopper);
    return answer;
  }

  /**
   * `GET /tactful/decide?surface=checkout&context={...}`: the decision JSON for an in-page
   * widget, `{"decision": ..., "memory": ...}` byte for byte as `tactful decide` prints it. The
   * widget posts an `impression` event when it shows the offer. `GET /tactful/explain` with the
   * same query answers the words of that decision instead (`tactful explain`'s JSON), for a
   * developer asking why, and leaves the memory cookie as it was.
   */
  handleDecide(request, env, url, explain = false) {
    if (request.method !== "GET") {
      return json(405, errorBody(typedError("ContextError", "decide.method", "", "use GET")), new Headers({ allow: "GET" }));
    }
    if (url.search.length > MAX_QUERY_BYTES) {
      return json(400, errorBody(typedError("ContextError", "decide.too_large", "context", `a decide query is at most ${MAX_QUERY_BYTES} bytes`)));
    }
    const shopper = shopperFrom(request);
    let text;
    try {
      const context = {
        ...pageContext(url.searchParams.get("context")),
        surface: url.searchParams.get("surface") ?? undefined,
        now: nowFor(request, env),
        shopperKey: shopper.key,
      };
      if (explain) {
        text = this.engine.explainJson(context, shopper.memory);
      } else {
        text = this.engine.decideJson(context, shopper.memory);
        shopper.memory = JSON.parse(text).memory;
      }
    } catch (error) {
      return json(400, errorBody(error));
    }
    const headers = withCookies(new Headers({ "content-type": "application/json" }), shopper);
    headers.set("cache-control", "private, no-store");
    return new Response(text, { status: 200, headers });
  }
}

/** Checks already computed in this isolate, by store and offer: each is computed once. */
const ACCEPT_CHECKS = new Map();
/** The most checks kept: a store's offers, or a sample of them in a catalog past that. */
const MAX_ACCEPT_CHECKS = 4096;

/**
 * The check an Add form carries: base64url of 12 bytes of SHA-256(store id, offer id). Every
 * page with a card needs one per offer shown, so they are kept per isolate (a digest is an
 * asynchronous call into the runtime; the page's other work is synchronous).
 */
async function acceptCheck(storeId, offerId) {
  const key = `${storeId}\n${offerId}`;
  const known = ACCEPT_CHECKS.get(key);
  if (known) return known;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`tactful accept\n${key}`));
  const check = base64url(new Uint8Array(digest, 0, 12));
  if (ACCEPT_CHECKS.size < MAX_ACCEPT_CHECKS) ACCEPT_CHECKS.set(key, check);
  return check;
}

/** The template with `{offerId}` filled in, encoded for a URL or a form field alike. */
function fill(template, offerId) {
  return template.replace(PLACEHOLDER, () => encodeURIComponent(offerId));
}

function isHtml(response) {
  return /^text\/html\b/i.test(response.headers.get("content-type") ?? "");
}

function isForm(request) {
  return /^application\/x-www-form-urlencoded\b/i.test(request.headers.get("content-type") ?? "");
}

/** The time the engine is given: the worker's clock, or the test header in test mode. */
function nowFor(request, env) {
  if (env.TACTFUL_TEST_MODE === "on") {
    const pinned = request.headers.get("x-tactful-now");
    if (pinned !== null && /^\d{1,15}$/.test(pinned)) return Number(pinned);
  }
  return Date.now();
}

/** The shopper as the cookies say: key (made when absent or malformed) and memory. */
function shopperFrom(request) {
  const cookies = readCookies(request.headers.get("cookie"));
  let key = cookies.get(SID_COOKIE);
  const newKey = !(key && SHOPPER_KEY.test(key));
  if (newKey) key = base64url(crypto.getRandomValues(new Uint8Array(16)));
  let memory = cookies.get(MEMORY_COOKIE) ?? "";
  if (memory.length > MAX_MEMORY_BYTES || !BASE64URL.test(memory)) {
    log("memory_cookie_refused", null, {
      reason: memory.length > MAX_MEMORY_BYTES ? "too_long" : "not_base64url",
      bytes: memory.length,
    });
    memory = "";
  }
  return { key, newKey, memory, memoryIn: memory };
}

/** Cookie header to a map; the first of two cookies with one name wins (the most specific). */
function readCookies(header) {
  const cookies = new Map();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function cookie(name, value) {
  return `${name}=${value}; Path=/; Max-Age=${COOKIE_MAX_AGE}; Secure; SameSite=Lax`;
}

/** The Set-Cookie values for a shopper after a request: only what changed, never a cut value. */
function setCookies(shopper) {
  const out = [];
  if (shopper.newKey) out.push(cookie(SID_COOKIE, shopper.key));
  if (shopper.memory !== shopper.memoryIn) {
    if (shopper.memory.length > MAX_MEMORY_BYTES) {
      log("memory_over_cookie_limit", null, { bytes: shopper.memory.length, limit: MAX_MEMORY_BYTES });
    } else {
      out.push(cookie(MEMORY_COOKIE, shopper.memory));
    }
  }
  return out;
}

function withCookies(headers, shopper) {
  const cookies = setCookies(shopper);
  for (const value of cookies) headers.append("set-cookie", value);
  if (cookies.length > 0) headers.set("cache-control", "private, no-store");
  return headers;
}

/** The slot's `data-tactful-context`: a JSON object of context fields, or a typed error. */
function pageContext(raw) {
  if (raw === null || raw === "") return {};
  let value;
  try {
    value = JSON.parse(decodeEntities(raw));
  } catch {
    throw typedError("ContextError", "context.not_json", "data-tactful-context", "the slot's data-tactful-context is not JSON");
  }
  if (!isObject(value)) {
    throw typedError("ContextError", "context.not_object", "data-tactful-context", "the slot's data-tactful-context is not a JSON object");
  }
  return value;
}

function typedError(name, code, path, message) {
  const error = new Error(message);
  error.name = name;
  error.code = code;
  error.path = path;
  return error;
}

/** HTMLRewriter hands attribute values over as written; undo the entities a page may use. */
function decodeEntities(text) {
  return text.replace(/&(quot|#34|#39|apos|lt|gt|amp);/g, (_, name) =>
    ({ quot: '"', "#34": '"', "#39": "'", apos: "'", lt: "<", gt: ">", amp: "&" })[name],
  );
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/**
 * The default price text, in en-US whatever the labels' language (`formatPrice` sets the
 * store's). Currency formats by code, made once per isolate: making one costs as much as a
 * decision.
 */
const moneyFormats = new Map();

function money(minor, currency) {
  let format = moneyFormats.get(currency);
  if (!format) {
    const intl = new Intl.NumberFormat("en-US", { style: "currency", currency });
    format = { intl, scale: 10 ** intl.resolvedOptions().maximumFractionDigits };
    moneyFormats.set(currency, format);
  }
  return format.intl.format(minor / format.scale);
}

/** `GET /tactful/card.css`: the card's stylesheet (`tactful/contract`'s `CARD_CSS`). */
function cardStyles() {
  return new Response(CARD_CSS.trimStart(), {
    headers: { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=3600" },
  });
}

function json(status, value, headers = new Headers()) {
  headers.set("content-type", "application/json");
  headers.set("cache-control", "private, no-store");
  return new Response(JSON.stringify(value), { status, headers });
}

function errorBody(error) {
  const body = { name: error.name, code: error.code, message: error.message };
  if (error.path) body.path = error.path;
  return { error: body };
}

/**
 * What both form endpoints refuse before reading a byte: another method (405), and a post
 * from another site (403: its request carries no Lax cookie, so it would reset memory).
 */
function refuse(request, url, what) {
  if (request.method !== "POST") {
    return json(405, errorBody(typedError("ContextError", `${what}.method`, "", "use POST")), new Headers({ allow: "POST" }));
  }
  const origin = request.headers.get("origin");
  const crossSite = origin !== null && origin !== "null" ? origin !== url.origin : request.headers.get("sec-fetch-site") === "cross-site";
  if (crossSite) {
    return json(403, errorBody(typedError("ContextError", `${what}.cross_site`, "", `${what}s are recorded from the store's own pages only`)));
  }
  return null;
}

function tooLarge(what) {
  return json(413, errorBody(typedError("ContextError", `${what}.too_large`, "", `an ${what} is at most ${MAX_EVENT_BYTES} bytes`)));
}

/** Where a form post goes back to: the referring page when it is ours, else the home page. */
function sameSiteReferrer(request, url) {
  try {
    const referrer = new URL(request.headers.get("referer") ?? "/", url);
    if (referrer.origin === url.origin) return referrer.pathname + referrer.search;
  } catch {
    // not a URL: go home
  }
  return "/";
}

/** The body as text, or null when it is over `MAX_EVENT_BYTES` (declared, or as read). */
async function readBody(request) {
  if (Number(request.headers.get("content-length") ?? 0) > MAX_EVENT_BYTES) return null;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_EVENT_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
