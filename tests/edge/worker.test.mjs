// The edge worker (www/edge/worker.js) on real workerd in front of the demo storefront, checked
// against the native CLI deciding for the same snapshot, memory and time.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  NOW,
  SNAPSHOT,
  cli,
  cookieHeader,
  expectedCard,
  nativeDecide,
  nativeRecord,
  setCookies,
  shopperKey,
  slotsOf,
  startEdge,
  view,
} from "./harness.mjs";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PAGES = ["/checkout", "/cart", "/products/course-foundations"];

let edge;
before(async () => {
  edge = await startEdge("test");
});
after(async () => {
  await edge?.stop();
});

/** What the native CLI decides for a served slot, and the memory the worker should then keep. */
async function expectedFor(slot, key, memory, now) {
  const context = { ...slot.context, surface: slot.surface, now, shopperKey: key };
  const native = await nativeDecide(context, memory);
  // Memory from a newer engine is decided from as fresh and kept as it is: no cookie is written.
  if (native.decision.warnings.some((w) => w.code === "memory.newer_version")) return { ...native, cookieMemory: undefined };
  let next = native.memory;
  for (const offer of native.decision.offers) {
    next = await nativeRecord(next, { type: "impression", offerId: offer.offerId, surface: slot.surface, at: now });
  }
  return { ...native, cookieMemory: next };
}

/** Asserts a served page's single slot matches the native decision; returns that decision. */
async function assertMatchesNative(response, key, memory, now) {
  assert.equal(response.status, 200);
  const html = await response.text();
  const [slot, ...more] = slotsOf(html);
  assert.ok(slot, `no slot in the page:\n${html}`);
  assert.equal(more.length, 0);
  const expected = await expectedFor(slot, key, memory, now);
  assert.equal(slot.decisionId, expected.decision.decisionId);
  assert.deepEqual(
    slot.cards,
    expected.copied.offers.map((offer) => expectedCard(offer, expected.decision.currency)),
  );
  const cookies = setCookies(response);
  assert.equal(cookies.tactful_mem?.value, expected.cookieMemory);
  return { expected, cookies, slot, html };
}

describe("the offer in the served HTML", () => {
  for (const page of PAGES) {
    it(`equals the native decision on ${page}, for a new shopper and on the next view`, async () => {
      const key = shopperKey(`views ${page}`);
      const first = await view(edge, page, { cookies: { tactful_sid: key } });
      const one = await assertMatchesNative(first, key, "", NOW);
      assert.ok(one.expected.decision.offers.length > 0, `the demo page ${page} should show an offer`);
      // The next view, ten minutes later, with the cookies the worker set.
      const memory = one.cookies.tactful_mem.value;
      const second = await view(edge, page, { cookies: { tactful_sid: key, tactful_mem: memory }, now: NOW + 600_000 });
      assert.equal(setCookies(second).tactful_sid, undefined, "a known shopper key is kept");
      await assertMatchesNative(second, key, memory, NOW + 600_000);
    });
  }

  it("links the card's stylesheet, and serves it from the contract", async () => {
    // A shopper the first test shows an offer to (a fresh random key may fall in the holdout).
    const html = await (await view(edge, "/checkout", { cookies: { tactful_sid: shopperKey("views /checkout") } })).text();
    assert.match(html, /<link rel="stylesheet" href="\/tactful\/card\.css"><section class="tactful-card /);
    const css = await fetch(`${edge.url}/tactful/card.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get("content-type"), /^text\/css/);
    const { CARD_CSS } = await import(new URL("../../pkg/embed/contract.js", import.meta.url).href);
    assert.equal(await css.text(), CARD_CSS.trimStart());
  });

  it("makes a shopper key when there is none, and decides with it", async () => {
    const response = await view(edge, "/checkout");
    const key = setCookies(response).tactful_sid.value;
    assert.match(key, /^[A-Za-z0-9_-]{22}$/);
    await assertMatchesNative(response, key, "", NOW);
  });

  it("sets the cookies of the contract: Secure, SameSite=Lax, path /, readable by the page", async () => {
    const response = await view(edge, "/checkout");
    for (const name of ["tactful_sid", "tactful_mem"]) {
      const { attributes } = setCookies(response)[name];
      assert.ok(attributes.includes("Path=/"), `${name}: ${attributes}`);
      assert.ok(attributes.includes("Secure"));
      assert.ok(attributes.includes("SameSite=Lax"));
      assert.ok(!attributes.some((a) => /^httponly$/i.test(a)), "the embed script reads it");
    }
    assert.equal(response.headers.get("cache-control"), "private, no-store");
  });

  it("decides each slot of a page in turn, the second with the first's impressions", async () => {
    const key = shopperKey("two slots");
    const response = await view(edge, "/demo/two-slots", { cookies: { tactful_sid: key } });
    const slots = slotsOf(await response.text());
    assert.deepEqual(slots.map((s) => s.surface), ["cart", "product_page"]);
    let memory = "";
    for (const slot of slots) {
      const expected = await expectedFor(slot, key, memory, NOW);
      assert.equal(slot.decisionId, expected.decision.decisionId);
      assert.deepEqual(slot.cards, expected.copied.offers.map((o) => expectedCard(o, expected.decision.currency)));
      memory = expected.cookieMemory;
    }
    assert.ok(slots.every((s) => s.cards.length > 0));
    assert.equal(setCookies(response).tactful_mem.value, memory);
  });

  it("reads a slot context written with HTML entities", async () => {
    const key = shopperKey("quoted");
    const response = await view(edge, "/demo/quoted-context", { cookies: { tactful_sid: key } });
    const html = await response.text();
    const native = await nativeDecide({ cart: ["course-quickstart"], surface: "cart", now: NOW, shopperKey: key });
    assert.ok(native.decision.offers.length > 0);
    for (const offer of native.decision.offers) assert.ok(html.includes(`data-offer-id="${offer.offerId}"`), html);
  });

  it("escapes what it writes: the card is text, never HTML from the catalog", async () => {
    const response = await view(edge, "/checkout", { cookies: { tactful_sid: shopperKey("escapes") } });
    const [slot] = slotsOf(await response.text());
    assert.doesNotMatch(slot.inner, /<script|javascript:|on\w+=/i);
    assert.ok(slot.inner.startsWith('<link rel="stylesheet" href="/tactful/card.css"><section class="tactful-card tactful-card--flow" role="region"'));
  });

  it("answers GET /tactful/decide with the native CLI's JSON, byte for byte", async () => {
    const key = shopperKey();
    const context = { cart: ["course-foundations"], events: [{ name: "begin_checkout" }] };
    const url = `${edge.url}/tactful/decide?surface=checkout&context=${encodeURIComponent(JSON.stringify(context))}`;
    const response = await fetch(url, { headers: { "x-tactful-now": String(NOW), cookie: cookieHeader({ tactful_sid: key }) } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json");
    const native = await nativeDecide({ ...context, surface: "checkout", now: NOW, shopperKey: key });
    assert.equal(await response.text(), native.text);
    assert.equal(setCookies(response).tactful_mem.value, native.memory);
    // Its words, from the same inputs: `tactful explain`, byte for byte; the memory is kept.
    const words = await fetch(url.replace("/tactful/decide", "/tactful/explain"), {
      headers: { "x-tactful-now": String(NOW), cookie: cookieHeader({ tactful_sid: key }) },
    });
    assert.equal(words.status, 200);
    const text = await words.text();
    const asked = JSON.stringify({ ...context, surface: "checkout", now: NOW, shopperKey: key });
    assert.equal(text, (await cli(["explain", SNAPSHOT, "--context", "-"], asked)).trim());
    assert.equal(JSON.parse(text).decisionId, JSON.parse(native.text).decision.decisionId);
  });

  it("refuses a bad decide request with a typed error", async () => {
    const missing = await fetch(`${edge.url}/tactful/decide`, { headers: { "x-tactful-now": String(NOW) } });
    assert.equal(missing.status, 400);
    const { error } = await missing.json();
    assert.equal(error.name, "ContextError");
    assert.match(error.code, /^context\./);
    const unknown = await fetch(`${edge.url}/tactful/decide?surface=checkout&context=${encodeURIComponent('{"carts":[]}')}`);
    assert.equal(unknown.status, 400);
    assert.equal((await unknown.json()).error.path, "carts");
    const notJson = await fetch(`${edge.url}/tactful/decide?surface=checkout&context=%7Bnope`);
    assert.equal((await notJson.json()).error.code, "context.not_json");
    const post = await fetch(`${edge.url}/tactful/decide?surface=checkout`, { method: "POST" });
    assert.equal(post.status, 405);
  });

  it("serves the same page when it reaches the origin by URL, as under wrangler", async () => {
    const key = shopperKey("by url");
    const headers = { "x-tactful-now": String(NOW), cookie: cookieHeader({ tactful_sid: key }) };
    const [viaBinding, viaUrl] = await Promise.all([
      fetch(`${edge.url}/checkout`, { headers }),
      fetch(`${edge.byUrl}/checkout`, { headers }),
    ]);
    const html = await viaUrl.text();
    assert.equal(html, await viaBinding.text());
    assert.match(html, /class="tactful-card /);
    assert.deepEqual(viaUrl.headers.getSetCookie(), viaBinding.headers.getSetCookie());
    const asset = await fetch(`${edge.byUrl}/assets/logo.png`);
    assert.ok(Buffer.from(await asset.arrayBuffer()).equals(Buffer.from(await (await fetch(`${edge.originUrl}/assets/logo.png`)).arrayBuffer())));
  });

  it("ignores x-tactful-now outside test mode", async () => {
    // The passthrough socket runs the same worker with tactful off; the `bench` config's
    // tactful socket has test mode off: decide there with a pinned header and see it ignored.
    const bench = await startEdge("bench");
    try {
      const response = await fetch(`${bench.url}/tactful/decide?surface=checkout`, { headers: { "x-tactful-now": String(NOW) } });
      const { decision } = await response.json();
      assert.notEqual(decision.exposure.at, NOW);
      assert.ok(Math.abs(decision.exposure.at - Date.now()) < 60_000);
    } finally {
      await bench.stop();
    }
  });
});

describe("the cookie round trip", () => {
  it("keeps a dismissed offer away for its cooldown, then lets it back", async () => {
    const key = shopperKey("round trip");
    const first = await view(edge, "/checkout", { cookies: { tactful_sid: key } });
    const { expected, cookies } = await assertMatchesNative(first, key, "", NOW);
    const offerId = expected.decision.offers[0].offerId;
    let memory = cookies.tactful_mem.value;

    const dismissed = await fetch(`${edge.url}/tactful/event`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-tactful-now": String(NOW + 60_000),
        cookie: cookieHeader({ tactful_sid: key, tactful_mem: memory }),
      },
      body: JSON.stringify({ type: "dismiss", offerId }),
    });
    assert.equal(dismissed.status, 200, await dismissed.clone().text());
    const afterDismiss = setCookies(dismissed).tactful_mem.value;
    assert.equal(afterDismiss, await nativeRecord(memory, { type: "dismiss", offerId, at: NOW + 60_000 }));
    memory = afterDismiss;

    // An hour later, and two days later: the dismissed offer stays away (first rung: 3 days).
    for (const later of [NOW + HOUR, NOW + 2 * DAY]) {
      const next = await view(edge, "/checkout", { cookies: { tactful_sid: key, tactful_mem: memory }, now: later });
      const { expected: native, cookies: c, slot } = await assertMatchesNative(next, key, memory, later);
      assert.ok(!slot.cards.some((card) => card.offerId === offerId), `${offerId} came back at ${later}`);
      const left = native.decision.leftOut.find((l) => l.offerId === offerId);
      assert.equal(left?.reason, "cooling_down");
      memory = c.tactful_mem.value;
    }
    // After the cooldown (3 days and an hour after the dismissal) it may be shown again.
    const back = await view(edge, "/checkout", { cookies: { tactful_sid: key, tactful_mem: memory }, now: NOW + 3 * DAY + HOUR });
    const { slot } = await assertMatchesNative(back, key, memory, NOW + 3 * DAY + HOUR);
    assert.ok(slot.cards.some((card) => card.offerId === offerId), `${offerId} should be back after its cooldown`);
  });

  it("records a dismissal from the card's plain form, and sends the shopper back to the page", async () => {
    const key = shopperKey("form");
    const first = await view(edge, "/cart", { cookies: { tactful_sid: key } });
    const { expected, cookies, html } = await assertMatchesNative(first, key, "", NOW);
    const offerId = expected.decision.offers[0].offerId;
    assert.ok(html.includes(`<input type="hidden" name="offerId" value="${offerId}">`));
    const posted = await fetch(`${edge.url}/tactful/event`, {
      method: "POST",
      redirect: "manual",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: edge.url,
        referer: `${edge.url}/cart`,
        "x-tactful-now": String(NOW + 1000),
        cookie: cookieHeader({ tactful_sid: key, tactful_mem: cookies.tactful_mem.value }),
      },
      body: new URLSearchParams({ type: "dismiss", offerId }).toString(),
    });
    assert.equal(posted.status, 303);
    assert.equal(posted.headers.get("location"), "/cart");
    const memory = setCookies(posted).tactful_mem.value;
    assert.equal(memory, await nativeRecord(cookies.tactful_mem.value, { type: "dismiss", offerId, at: NOW + 1000 }));
    const next = await view(edge, "/cart", { cookies: { tactful_sid: key, tactful_mem: memory }, now: NOW + HOUR });
    const { slot } = await assertMatchesNative(next, key, memory, NOW + HOUR);
    assert.ok(!slot.cards.some((card) => card.offerId === offerId));
  });

  it("refuses bad events with typed errors and leaves the cookie alone", async () => {
    const post = (body, headers = {}) =>
      fetch(`${edge.url}/tactful/event`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-tactful-now": String(NOW), ...headers },
        body,
      });
    const cases = [
      [await post("{not json"), 400, "event.not_json"],
      [await post("[1]"), 400, "event.not_object"],
      [await post(JSON.stringify({ type: "wave", offerId: "creator-toolkit" })), 400, /^(memory|event)\./],
      [await post(JSON.stringify({ type: "dismiss", offerId: "creator-toolkit", colour: "red" })), 400, /^(memory|event)\./],
      [await post(JSON.stringify({ type: "dismiss", offerId: "creator-tolkit" })), 400, "memory.bad_event"],
      [await post("x".repeat(5000)), 413, "event.too_large"],
      [await post(JSON.stringify({ type: "dismiss", offerId: "creator-toolkit" }), { origin: "https://evil.example" }), 403, "event.cross_site"],
      [await fetch(`${edge.url}/tactful/event`), 405, "event.method"],
    ];
    for (const [response, status, code] of cases) {
      assert.equal(response.status, status);
      const { error } = await response.json();
      if (code instanceof RegExp) assert.match(error.code, code);
      else assert.equal(error.code, code);
      assert.equal(typeof error.message, "string");
      assert.deepEqual(response.headers.getSetCookie(), []);
    }
    const unknownOffer = await (await post(JSON.stringify({ type: "dismiss", offerId: "creator-tolkit" }))).json();
    assert.equal(unknownOffer.error.path, "offerId");
    assert.match(unknownOffer.error.message, /offer `creator-tolkit` is not in the snapshot inkwell-studio@/);
    const unknownField = await post(JSON.stringify({ type: "dismiss", offerId: "creator-toolkit", colour: "red" }));
    const { error } = await unknownField.json();
    assert.equal(error.name, "MemoryError");
    assert.equal(error.path, "colour");
  });
});

describe("bad cookies give fresh memory and the page is still served", () => {
  let valid;
  before(async () => {
    // A real memory with some history: a view and a dismissal.
    const key = shopperKey("valid memory");
    const one = setCookies(await view(edge, "/checkout", { cookies: { tactful_sid: key } })).tactful_mem.value;
    valid = await nativeRecord(one, { type: "dismiss", offerId: "creator-toolkit", at: NOW + 1 });
  });

  // [what, the cookie made from a valid memory, whether the engine is handed it (the worker
  // refuses some before), the warning the engine then gives]
  const bad = [
    ["tampered (version byte)", (m) => "B" + m.slice(1), true, "memory.checksum"],
    ["tampered (characters added)", (m) => m + "AA", true, /^memory\.(checksum|not_base64)$/],
    ["truncated", (m) => m.slice(0, m.length - 2), true, /^memory\.(checksum|corrupt|not_base64)$/],
    ["truncated to one character", (m) => m.slice(0, 1), true, "memory.not_base64"],
    ["oversized", () => "A".repeat(5000), false, null],
    ["foreign (a JWT)", () => "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl", false, null],
    ["foreign (another app's base64url)", () => Buffer.from('{"theme":"dark"}').toString("base64url"), true, "memory.checksum"],
    // One decision's memory of the store `another-store` (two stores on one parent domain).
    ["another store's", () => "Aj2e-WFfcQEAAAA", true, "memory.other_store"],
    ["not base64url", () => "%7B%22a%22%3A1%7D", false, null],
  ];
  for (const [what, make, given, warning] of bad) {
    it(`a ${what} memory cookie`, async () => {
      const memory = make(valid);
      const key = shopperKey(`bad cookie ${what}`);
      const before = edge.logs().length;
      const response = await view(edge, "/checkout", { cookies: { tactful_sid: key, tactful_mem: memory } });
      const { expected, slot } = await assertMatchesNative(response, key, given ? memory : "", NOW);
      if (warning) {
        assert.equal(expected.decision.warnings.length, 1);
        assert.match(expected.decision.warnings[0].code, warning instanceof RegExp ? warning : new RegExp(`^${warning}$`));
      }
      // Fresh memory: the same offer as for a shopper with no memory at all (who is shown one).
      const fresh = await nativeDecide({ ...slot.context, surface: "checkout", now: NOW, shopperKey: key }, "");
      assert.ok(fresh.decision.offers.length > 0);
      assert.deepEqual(slot.cards, fresh.copied.offers.map((o) => expectedCard(o, fresh.decision.currency)));
      await waitFor(() => /"tactful":"(warning|memory_cookie_refused)"/.test(edge.logs().slice(before)));
    });
  }

  it("every changed character is caught by the checksum, as the CLI catches it", async () => {
    // Memory carries a checksum (version 2): a tampered body that would still decode is not
    // taken as the shopper's memory. The worker decides exactly as the CLI does with it.
    for (const at of [8, 12, valid.length - 1]) {
      const memory = valid.slice(0, at) + (valid[at] === "A" ? "B" : "A") + valid.slice(at + 1);
      const key = shopperKey(`tampered body ${at}`);
      const response = await view(edge, "/checkout", { cookies: { tactful_sid: key, tactful_mem: memory } });
      const { expected } = await assertMatchesNative(response, key, memory, NOW);
      assert.deepEqual(expected.decision.warnings.map((w) => w.code), ["memory.checksum"], `character ${at}`);
    }
  });

  it("a malformed shopper key is replaced by a new one", async () => {
    for (const sid of ["short", "../../../etc/passwd", "a".repeat(300), "with space inside1234"]) {
      const response = await view(edge, "/checkout", { cookies: { tactful_sid: sid } });
      assert.equal(response.status, 200);
      const key = setCookies(response).tactful_sid.value;
      assert.notEqual(key, sid);
      await assertMatchesNative(response, key, "", NOW);
    }
  });

  it("a cookie header with other sites' cookies, duplicates and junk", async () => {
    const key = shopperKey();
    const response = await view(edge, "/checkout", {
      headers: { cookie: `_ga=GA1.1.123; tactful_sid=${key}; junk; =empty; tactful_sid=second; theme="dark"` },
    });
    assert.equal(setCookies(response).tactful_sid, undefined);
    await assertMatchesNative(response, key, "", NOW);
  });
});

describe("the origin's answers pass through untouched", () => {
  const paths = [
    ["/nope", 404],
    ["/oops", 500],
    ["/assets/logo.png", 200],
    ["/assets/store.css", 200],
    ["/assets/cart.json", 200],
    ["/", 200],
  ];
  for (const [path, status] of paths) {
    it(`${path} (${status}) byte for byte`, async () => {
      const direct = await fetch(edge.originUrl + path);
      const directBody = Buffer.from(await direct.arrayBuffer());
      const proxied = await view(edge, path, { cookies: { tactful_sid: shopperKey() } });
      const proxiedBody = Buffer.from(await proxied.arrayBuffer());
      assert.equal(proxied.status, status);
      assert.equal(direct.status, status);
      assert.ok(proxiedBody.equals(directBody), `${path}: the body changed`);
      assert.equal(proxied.headers.get("content-type"), direct.headers.get("content-type"));
      assert.equal(proxied.headers.get("x-origin"), "storefront");
      if (path !== "/") assert.deepEqual(proxied.headers.getSetCookie(), [], `${path}: no cookie on a pass-through`);
    });
  }

  it("a 500 page with a slot in it is not filled", async () => {
    const response = await view(edge, "/oops");
    const html = await response.text();
    assert.equal(response.status, 500);
    assert.ok(html.includes('<div data-tactful-slot="checkout"></div>'));
  });

  it("a POST to a page goes to the origin as it is", async () => {
    const direct = await fetch(`${edge.originUrl}/checkout`, { method: "POST", body: "a=1" });
    const proxied = await fetch(`${edge.url}/checkout`, { method: "POST", body: "a=1" });
    assert.equal(proxied.status, direct.status);
    assert.ok(Buffer.from(await proxied.arrayBuffer()).equals(Buffer.from(await direct.arrayBuffer())));
    assert.deepEqual(proxied.headers.getSetCookie(), []);
  });
});

describe("a decision that fails never breaks the page", () => {
  it("serves the page without an offer, and logs why", async () => {
    const before = edge.logs().length;
    const direct = await (await fetch(`${edge.originUrl}/demo/broken-slot`)).text();
    const response = await view(edge, "/demo/broken-slot", { cookies: { tactful_sid: shopperKey() } });
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.equal(html, direct, "the slot is left as the origin sent it");
    await waitFor(() => edge.logs().slice(before).includes('"tactful":"decision_failed"'));
    const line = edge
      .logs()
      .slice(before)
      .split("\n")
      .find((l) => l.includes('"tactful":"decision_failed"'));
    const logged = JSON.parse(line.slice(line.indexOf("{")));
    assert.equal(logged.name, "ContextError");
    assert.equal(logged.path, "carts");
    assert.match(logged.code, /^context\./);
  });
});

describe("a worker whose snapshot cannot load", () => {
  it("serves every page as the origin sent it, and logged why when it loaded", async () => {
    for (const path of ["/checkout", "/cart", "/assets/logo.png", "/nope"]) {
      const direct = await fetch(edge.originUrl + path);
      const proxied = await fetch(edge.brokenUrl + path, { headers: { "x-tactful-now": String(NOW) } });
      assert.equal(proxied.status, direct.status);
      assert.ok(Buffer.from(await proxied.arrayBuffer()).equals(Buffer.from(await direct.arrayBuffer())), path);
      assert.deepEqual(proxied.headers.getSetCookie(), []);
    }
    const line = edge
      .logs()
      .split("\n")
      .find((l) => l.includes('"tactful":"engine_unavailable"'));
    assert.ok(line, edge.logs());
    const logged = JSON.parse(line.slice(line.indexOf("{")));
    assert.equal(logged.name, "SnapshotError");
    assert.match(logged.code, /^snapshot\./);
  });
});

describe("200 concurrent shoppers", () => {
  it("each get the native decision for their own key, memory and time", async () => {
    // Varied shoppers: three pages, a dismissal of one of three offers for some, a minute apart.
    const dismissable = ["creator-toolkit", "workbook-addon", "quickstart-companion"];
    const shoppers = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const key = shopperKey(`concurrent ${i}`);
        const now = NOW + i * 60_000;
        const memory =
          i % 4 === 3 ? "" : await nativeRecord("", { type: "dismiss", offerId: dismissable[i % 3], at: now - HOUR });
        return { key, now, memory, page: PAGES[i % PAGES.length] };
      }),
    );
    const responses = await Promise.all(
      shoppers.map((s) => view(edge, s.page, { cookies: { tactful_sid: s.key, tactful_mem: s.memory }, now: s.now })),
    );
    let shown = 0;
    const offered = new Set();
    const decisionIds = [];
    for (const [i, response] of responses.entries()) {
      const s = shoppers[i];
      const { expected } = await assertMatchesNative(response, s.key, s.memory, s.now);
      decisionIds.push(expected.decision.decisionId);
      shown += expected.decision.offers.length > 0 ? 1 : 0;
      for (const offer of expected.decision.offers) offered.add(offer.offerId);
    }
    // The shoppers differ: some are shown an offer, some are not, and not all the same one.
    assert.ok(shown > 40 && shown < 200, `${shown} of 200 shoppers were shown an offer`);
    assert.ok(offered.size >= 2, `always the same offer: ${[...offered]}`);
    const ids = new Set(decisionIds);
    assert.equal(ids.size, 200, "every shopper got their own decision");
  });
});

async function waitFor(condition, ms = 2000) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error("timed out waiting for the worker's log");
    await new Promise((r) => setTimeout(r, 20));
  }
}
