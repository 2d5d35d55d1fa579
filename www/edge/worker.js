// tactful at the edge: a module worker (Cloudflare Workers API, run by workerd) in front of a
// storefront origin. It writes the offer into the HTML the shopper receives, so there is no
// flicker, no client-side script and no call to anything but the origin.
//
// What it does, and why this way:
//
// - The wasm is imported as a module (`import wasm from "./tactful_bg.wasm"`): the runtime
//   compiles it when the worker loads, because edge runtimes refuse to compile bytes at run
//   time. The snapshot is a bundled data module (an ArrayBuffer). The engine is loaded once per
//   isolate; if the snapshot cannot be loaded the worker logs why and proxies pages untouched.
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
//   form posting there, so dismissal works with no script. `GET /tactful/decide` answers the
//   decision JSON (byte for byte what `tactful decide` prints) for in-page widgets.
// - The card links its stylesheet, `GET /tactful/card.css` (the embed's, from the contract).
// - A decision that fails (a bad context on a slot, a bug) never breaks the page: the slot is
//   left as the origin sent it, and the worker logs why as one JSON line on stderr.
// - Anyone can send the worker anything, so what one request can cost is bounded before any
//   parsing: a decide query over `MAX_QUERY_BYTES` and an event body over `MAX_EVENT_BYTES`
//   (by its declared length, then as read) are refused with typed errors; a page decides at
//   most `MAX_SLOTS` slots; and each decision is bounded by the engine's own limits (the
//   README's table), whatever its context holds.
// - The card is text only: every string from the catalog or the decision is escaped.
// - Time: the engine reads no clock. The worker passes `Date.now()`, or, only when the config
//   sets `TACTFUL_TEST_MODE = "on"`, the `x-tactful-now` request header (tests pin the time).
//
// Configuration (bindings): `ORIGIN`, a service binding to the origin (workerd), or
// `ORIGIN_URL`, the origin's base URL (wrangler); `TACTFUL = "off"` proxies without tactful (the
// benchmark's baseline); `TACTFUL_TEST_MODE = "on"` honours `x-tactful-now`.
import wasm from "./tactful_bg.wasm";
import snapshotBytes from "./inkwell-studio.snap";
import { Engine, init, recordEvent } from "./tactful/edge/tactful.js";
import { CARD_CSS, CLASSES as C, DISMISS, HEADINGS, MAX_COOKIE_MEMORY, MEMORY_COOKIE, SID_COOKIE, cardIds } from "./tactful/embed/contract.js";

/** The longest memory cookie value written or read (the contract with the embed). */
const MAX_MEMORY_BYTES = MAX_COOKIE_MEMORY;
/** The longest page the worker reads to fill a slot; longer pages pass through untouched. */
const MAX_PAGE_BYTES = 2 * 1024 * 1024;
/** The longest body `POST /tactful/event` reads. */
const MAX_EVENT_BYTES = 4096;
/** The longest query string `GET /tactful/decide` reads; a context a widget sends is far less. */
const MAX_QUERY_BYTES = 8192;
/** Most slots decided in one page (each is a decision); further slots are left as they are. */
const MAX_SLOTS = 8;
const COOKIE_MAX_AGE = 60 * 60 * 24 * 365;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const SHOPPER_KEY = /^[A-Za-z0-9_-]{16,128}$/;

const engine = loadEngine();

function loadEngine() {
  try {
    init(wasm);
    return Engine.fromBytes(new Uint8Array(snapshotBytes));
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

export default {
  async fetch(request, env) {
    const upstream = originFetcher(env);
    if (env.TACTFUL === "off" || !engine) return upstream(request);
    const url = new URL(request.url);
    if (url.pathname === "/tactful/event") return handleEvent(request, env, url);
    if (url.pathname === "/tactful/decide") return handleDecide(request, env, url);
    if (url.pathname === "/tactful/card.css") return cardStyles();
    const response = await upstream(request);
    if (request.method !== "GET" || response.status !== 200 || !isHtml(response)) return response;
    const length = Number(response.headers.get("content-length") ?? 0);
    if (length > MAX_PAGE_BYTES) {
      log("page_too_large", null, { url: url.pathname, bytes: length });
      return response;
    }
    return personalise(request, env, response);
  },
};

/** How the worker reaches the origin: a service binding, or a base URL. */
function originFetcher(env) {
  if (env.ORIGIN && typeof env.ORIGIN.fetch === "function") {
    return (request) => env.ORIGIN.fetch(request);
  }
  if (!env.ORIGIN_URL) {
    return () => {
      log("no_origin", null, { message: "configure an ORIGIN service binding or an ORIGIN_URL" });
      return new Response("tactful: no origin configured\n", { status: 502 });
    };
  }
  const base = new URL(env.ORIGIN_URL);
  return (request) => {
    const url = new URL(request.url);
    url.protocol = base.protocol;
    url.host = base.host;
    return fetch(new Request(url, request));
  };
}

function isHtml(response) {
  return /^text\/html\b/i.test(response.headers.get("content-type") ?? "");
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
  if (newKey) key = randomKey();
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

function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
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

/** The page with its slots filled, and the shopper's cookies. */
async function personalise(request, env, response) {
  const shopper = shopperFrom(request);
  const now = nowFor(request, env);
  let filled = 0;
  let slots = 0;
  const rewriter = new HTMLRewriter().on("[data-tactful-slot]", {
    element(slot) {
      slots += 1;
      if (slots > MAX_SLOTS) {
        if (slots === MAX_SLOTS + 1) log("too_many_slots", null, { url: new URL(request.url).pathname, limit: MAX_SLOTS });
        return;
      }
      try {
        if (fillSlot(slot, shopper, now)) filled += 1;
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
 * Returns whether any offer was written. Throws what the engine throws (a ContextError).
 */
function fillSlot(slot, shopper, now) {
  const surface = slot.getAttribute("data-tactful-slot");
  const context = {
    ...pageContext(slot.getAttribute("data-tactful-context")),
    surface,
    now,
    shopperKey: shopper.key,
  };
  // The card is written into the page, so every offer shown is seen: the engine records the
  // impressions in the memory it returns (memory from a newer engine comes back unchanged).
  const { decision, memory } = engine.decide(context, shopper.memory, { recordImpressions: true });
  shopper.memory = memory;
  for (const warning of decision.warnings) log("warning", null, { code: warning.code, message: warning.message });
  slot.setAttribute("data-tactful-decision", decision.decisionId);
  if (decision.offers.length === 0) return false;
  slot.setInnerContent(card(decision), { html: true });
  return true;
}

/** The slot's `data-tactful-context`: a JSON object of context fields, or a typed error. */
function pageContext(raw) {
  if (raw === null || raw === "") return {};
  let value;
  try {
    value = JSON.parse(decodeEntities(raw));
  } catch {
    throw contextError("context.not_json", "data-tactful-context", "the slot's data-tactful-context is not JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw contextError("context.not_object", "data-tactful-context", "the slot's data-tactful-context is not a JSON object");
  }
  return value;
}

function contextError(code, path, message) {
  const error = new Error(message);
  error.name = "ContextError";
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

/** Currency formats by code, made once per isolate: making one costs as much as a decision. */
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

/**
 * The offers as the card the embed renders: the same structure, class names and headings
 * (`tactful/contract`), so one stylesheet serves both. Text only, escaped. The dismiss button
 * is a plain form posting to /tactful/event, so it works without any script on the page.
 */
function card(decision) {
  const e = escapeHtml;
  const id = `tactful-${e(decision.decisionId)}`;
  const ids = cardIds(id);
  const offers = decision.offers.map((offer, i) => {
    const titleId = ids.title(i);
    const was = offer.discountPercent > 0 ? `<s class="${C.was}">${e(money(offer.price, decision.currency))}</s> ` : "";
    const reason = offer.reasons.length > 0 ? `<p class="${C.reason}">${e(offer.reasons[0])}</p>` : "";
    return (
      `<article class="${C.offer}" data-offer-id="${e(offer.offerId)}" data-frame="${e(offer.frame)}" aria-labelledby="${titleId}">` +
      `<h3 class="${C.title}" id="${titleId}">${e(offer.title)}</h3>` +
      `<p class="${C.copy}">${e(offer.copy)}</p>` +
      reason +
      `<p class="${C.price}">${was}<span class="${C.now}">${e(money(offer.finalPrice, decision.currency))}</span></p>` +
      `<div class="${C.actions}"><form method="post" action="/tactful/event"><input type="hidden" name="type" value="dismiss">` +
      `<input type="hidden" name="offerId" value="${e(offer.offerId)}">` +
      `<button class="${C.dismiss}" type="submit" aria-label="${DISMISS}: dismiss ${e(offer.title)}">${DISMISS}</button></form></div></article>`
    );
  });
  // The card's own stylesheet, same-origin (so a page's style-src 'self' allows it), fetched
  // once per page however many slots link it.
  return (
    `<link rel="stylesheet" href="/tactful/card.css">` +
    `<section class="${C.card} ${C.flow}" role="region" aria-labelledby="${ids.heading}" data-decision-id="${e(decision.decisionId)}">` +
    `<h2 class="${C.heading}" id="${ids.heading}">${e(HEADINGS[decision.surface] ?? HEADINGS.default)}</h2>` +
    offers.join("") +
    `</section>`
  );
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

/** A POST from another site could reset memory (its request carries no Lax cookie): refuse. */
function crossSite(request, url) {
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== "null") return origin !== url.origin;
  return request.headers.get("sec-fetch-site") === "cross-site";
}

/** `POST /tactful/event`: records an event into the memory cookie with the worker's time. */
async function handleEvent(request, env, url) {
  if (request.method !== "POST") {
    return json(405, errorBody(contextError("event.method", "", "use POST")), new Headers({ allow: "POST" }));
  }
  if (crossSite(request, url)) {
    return json(403, errorBody(contextError("event.cross_site", "", "events are recorded from the store's own pages only")));
  }
  const declared = Number(request.headers.get("content-length") ?? 0);
  const text = declared > MAX_EVENT_BYTES ? null : await readBounded(request, MAX_EVENT_BYTES);
  if (text === null) {
    return json(413, errorBody(contextError("event.too_large", "", `an event is at most ${MAX_EVENT_BYTES} bytes`)));
  }
  const form = /^application\/x-www-form-urlencoded\b/i.test(request.headers.get("content-type") ?? "");
  let event;
  try {
    event = form ? Object.fromEntries(new URLSearchParams(text)) : JSON.parse(text);
  } catch {
    return json(400, errorBody(contextError("event.not_json", "", "the event is not JSON")));
  }
  if (event === null || typeof event !== "object" || Array.isArray(event)) {
    return json(400, errorBody(contextError("event.not_object", "", "the event is not a JSON object")));
  }
  const shopper = shopperFrom(request);
  try {
    shopper.memory = recordEvent(shopper.memory, { ...event, at: nowFor(request, env) });
  } catch (error) {
    return json(400, errorBody(error));
  }
  const headers = withCookies(new Headers(), shopper);
  if (form) {
    headers.set("location", sameSiteReferrer(request, url));
    return new Response(null, { status: 303, headers });
  }
  return json(200, { recorded: event.type, memoryBytes: shopper.memory.length }, headers);
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

/** The request body as text, or null when it is longer than `limit` bytes. */
async function readBounded(request, limit) {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
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

/**
 * `GET /tactful/decide?surface=checkout&context={...}`: the decision JSON for an in-page
 * widget, `{"decision": ..., "memory": ...}` byte for byte as `tactful decide` prints it. The
 * widget posts an `impression` event when it shows the offer.
 */
function handleDecide(request, env, url) {
  if (request.method !== "GET") {
    return json(405, errorBody(contextError("decide.method", "", "use GET")), new Headers({ allow: "GET" }));
  }
  if (url.search.length > MAX_QUERY_BYTES) {
    return json(400, errorBody(contextError("decide.too_large", "context", `a decide query is at most ${MAX_QUERY_BYTES} bytes`)));
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
    text = engine.decideJson(context, shopper.memory);
    shopper.memory = JSON.parse(text).memory;
  } catch (error) {
    return json(400, errorBody(error));
  }
  const headers = withCookies(new Headers({ "content-type": "application/json" }), shopper);
  headers.set("cache-control", "private, no-store");
  return new Response(text, { status: 200, headers });
}
