// The card's Add on real workerd: `POST /tactful/accept` records `accept` in the memory cookie
// (as the native CLI records it) and sends the shopper to the store's accept target, after
// which the offer is not offered again. The demo worker (www/edge/worker.js) forwards the
// origin's add-to-cart form; the workers of tests/edge/factory.capnp use the other options: Add
// as a link template with labels over the English texts, and a target the origin refuses.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { ROOT, NOW, cookieHeader, nativeDecide, nativeRecord, setCookies, shopperKey, slotsOf, startEdge, view } from "./harness.mjs";

const FACTORY = join(ROOT, "tests", "edge", "factory.capnp");

let demo;
let factory;
before(async () => {
  [demo, factory] = await Promise.all([
    startEdge("test"),
    startEdge("test", { config: FACTORY, sockets: ["http", "refused"] }),
  ]);
});
after(async () => {
  await Promise.all([demo?.stop(), factory?.stop()]);
});

/** The Add forms of a served page: `[{ offerId, check, label, text }]`. */
function addForms(html) {
  const form =
    /<form method="post" action="\/tactful\/accept"><input type="hidden" name="offerId" value="([^"]*)"><input type="hidden" name="check" value="([^"]*)"><input type="hidden" name="decisionId" value="[^"]*"><button class="tactful-accept" type="submit" aria-label="([^"]*)">([^<]*)<\/button><\/form>/g;
  return [...html.matchAll(form)].map(([, offerId, check, label, text]) => ({ offerId, check, label, text }));
}

/** Posts the card's Add form as a browser would (same-site, with the shopper's cookies). */
function postAdd(url, fields, { cookies = {}, now = NOW, headers = {} } = {}) {
  return fetch(`${url}/tactful/accept`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: url,
      referer: `${url}/checkout`,
      "x-tactful-now": String(now),
      cookie: cookieHeader(cookies),
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
  });
}

/** A shopper's first view of a page: the slot, the Add forms and the cookies the worker set. */
async function firstView(edge, page, key) {
  const response = await view(edge, page, { cookies: { tactful_sid: key } });
  assert.equal(response.status, 200);
  const html = await response.text();
  const [slot] = slotsOf(html);
  assert.ok(slot.cards.length > 0, `${page} shows this shopper an offer`);
  return { html, slot, forms: addForms(html), memory: setCookies(response).tactful_mem.value };
}

describe("Add on the demo worker: the origin's add-to-cart form, forwarded", () => {
  it("every offer on the card has an Add form, named for its offer, beside No thanks", async () => {
    const { html, slot, forms } = await firstView(demo, "/cart", shopperKey("add forms"));
    assert.deepEqual(forms.map((f) => f.offerId), slot.cards.map((c) => c.offerId));
    for (const [i, form] of forms.entries()) {
      assert.equal(form.text, "Add");
      assert.equal(form.label, `Add ${slot.cards[i].title}`);
      assert.match(form.check, /^[A-Za-z0-9_-]{16}$/);
      assert.ok(html.includes(`aria-label="No thanks: dismiss ${slot.cards[i].title}">No thanks</button>`));
    }
    assert.match(html, /<h2 class="tactful-heading"[^>]*>Goes well with your cart<\/h2>/);
  });

  it("records accept, lands in the origin's cart, and the offer is not offered again", async () => {
    const key = shopperKey("accepts at checkout");
    const { forms, memory } = await firstView(demo, "/checkout", key);
    const [{ offerId, check }] = forms;
    const at = NOW + 30_000;
    const added = await postAdd(demo.url, { offerId, check }, { cookies: { tactful_sid: key, tactful_mem: memory }, now: at });
    // The origin's answer to its own form, as it gave it: a 303 to its cart.
    assert.equal(added.status, 303, await added.clone().text());
    assert.equal(added.headers.get("location"), "/cart");
    assert.equal(added.headers.get("x-origin"), "storefront");
    const cookies = setCookies(added);
    assert.equal(cookies.store_cart.value, offerId, "the origin put the offer in its cart");
    const accepted = cookies.tactful_mem.value;
    assert.equal(accepted, await nativeRecord(memory, { type: "accept", offerId, at }));

    // The cart page, through the worker, lists it; the checkout no longer offers it.
    const jar = { tactful_sid: key, tactful_mem: accepted, store_cart: cookies.store_cart.value };
    const cart = await (await view(demo, "/cart", { cookies: jar, now: at + 1000 })).text();
    assert.match(cart, /<ul class="cart"><li>[^<]*<\/li><li>[^<]* · added<\/li><\/ul>/);
    const next = await view(demo, "/checkout", { cookies: jar, now: at + 60_000 });
    const [slot] = slotsOf(await next.text());
    assert.ok(!slot.cards.some((c) => c.offerId === offerId), `${offerId} was offered again`);
    // Even with the cart emptied, memory alone keeps it away: it was accepted.
    const memoryOnly = await nativeDecide({ ...slot.context, cart: ["course-foundations"], surface: "checkout", now: at + 60_000, shopperKey: key }, accepted);
    assert.equal(memoryOnly.decision.leftOut.find((l) => l.offerId === offerId)?.reason, "already_bought");
  });

  it("refuses a bad or unknown offer id, and a bad request, with typed errors and no cookie", async () => {
    const key = shopperKey("bad accepts");
    const { forms, memory } = await firstView(demo, "/checkout", key);
    const [{ offerId, check }] = forms;
    const cookies = { tactful_sid: key, tactful_mem: memory };
    const cases = [
      [await postAdd(demo.url, { offerId: "no-such-offer", check }, { cookies }), 400, "accept.unknown_offer", "offerId"],
      [await postAdd(demo.url, { offerId: "no-such-offer" }, { cookies }), 400, "accept.unknown_offer", "offerId"],
      [await postAdd(demo.url, { offerId, check: check.replace(/^./, (c) => (c === "A" ? "B" : "A")) }, { cookies }), 400, "accept.unknown_offer", "offerId"],
      [await postAdd(demo.url, { check }, { cookies }), 400, "accept.no_offer", "offerId"],
      [await postAdd(demo.url, { offerId, check, pad: "x".repeat(5000) }, { cookies }), 413, "accept.too_large"],
      [await postAdd(demo.url, { offerId, check }, { cookies, headers: { origin: "https://evil.example" } }), 403, "accept.cross_site"],
      [await postAdd(demo.url, { offerId, check }, { cookies, headers: { "content-type": "application/json" } }), 415, "accept.not_form"],
      [await fetch(`${demo.url}/tactful/accept?offerId=${offerId}`), 405, "accept.method"],
    ];
    for (const [response, status, code, path] of cases) {
      assert.equal(response.status, status, code);
      const { error } = await response.json();
      assert.equal(error.code, code);
      assert.equal(error.path, path);
      assert.equal(typeof error.message, "string");
      assert.deepEqual(response.headers.getSetCookie(), [], `${code}: memory untouched`);
    }
  });
});

describe("a worker made with labels and a link template", () => {
  it("shows the store's texts: its checkout heading, the default elsewhere, its button texts", async () => {
    const checkout = await firstView(factory, "/checkout", shopperKey("labels"));
    assert.match(checkout.html, /<h2 class="tactful-heading"[^>]*>Before you pay<\/h2>/);
    for (const [i, form] of checkout.forms.entries()) {
      assert.equal(form.text, "Add to order");
      assert.equal(form.label, `Add to order ${checkout.slot.cards[i].title}`);
      assert.ok(checkout.html.includes(`aria-label="Not now: hide ${checkout.slot.cards[i].title}">Not now</button>`));
    }
    assert.doesNotMatch(checkout.html, />No thanks<|>Add</);
    // Prices in the store's format (formatPrice), not the en-US default.
    const prices = [...checkout.html.matchAll(/<span class="tactful-now">([^<]*)<\/span>/g)].map((m) => m[1]);
    assert.equal(prices.length, checkout.forms.length);
    for (const text of prices) assert.match(text, /^\d+,\d\d USD$/);
    const cart = await firstView(factory, "/cart", shopperKey("labels"));
    assert.match(cart.html, /<h2 class="tactful-heading"[^>]*>Goes well with your cart<\/h2>/);
  });

  it("takes the Add of a card whose offer a newer snapshot dropped: the shopper is sent on, memory is unchanged", async () => {
    const key = shopperKey("accepts a dropped offer");
    const { memory } = await firstView(factory, "/checkout", key);
    // The check the worker wrote on a card of this store for an offer the snapshot no longer has.
    const offerId = "retired-offer";
    const digest = createHash("sha256").update(`tactful accept\ninkwell-studio\n${offerId}`).digest();
    const check = digest.subarray(0, 12).toString("base64url");
    const added = await postAdd(factory.url, { offerId, check }, { cookies: { tactful_sid: key, tactful_mem: memory } });
    assert.equal(added.status, 303, await added.clone().text());
    assert.equal(added.headers.get("location"), `/cart/add?offer=${offerId}&from=edge`);
    assert.equal(setCookies(added).tactful_mem?.value ?? memory, memory, "nothing recorded for an offer the engine does not have");
  });

  it("answers Add with a 303 to the template, which the origin takes", async () => {
    const key = shopperKey("link template");
    const { forms, memory } = await firstView(factory, "/checkout", key);
    const [{ offerId, check }] = forms;
    const added = await postAdd(factory.url, { offerId, check }, { cookies: { tactful_sid: key, tactful_mem: memory } });
    assert.equal(added.status, 303);
    assert.equal(added.headers.get("location"), `/cart/add?offer=${offerId}&from=edge`);
    const accepted = setCookies(added).tactful_mem.value;
    assert.equal(accepted, await nativeRecord(memory, { type: "accept", offerId, at: NOW }));
    // Following it, through the worker, to the origin's cart.
    const followed = await view(factory, added.headers.get("location"), { cookies: { tactful_sid: key, tactful_mem: accepted } });
    assert.equal(followed.status, 303);
    assert.equal(followed.headers.get("location"), "/cart");
    assert.equal(setCookies(followed).store_cart.value, offerId);
  });
});

describe("an accept target the origin refuses", () => {
  it("passes the origin's answer back and records nothing", async () => {
    const key = shopperKey("refused");
    const refused = factory.urls.refused;
    const page = await view({ url: refused }, "/checkout", { cookies: { tactful_sid: key } });
    const [{ offerId, check }] = addForms(await page.text());
    const memory = setCookies(page).tactful_mem.value;
    const added = await postAdd(refused, { offerId, check }, { cookies: { tactful_sid: key, tactful_mem: memory } });
    assert.equal(added.status, 404);
    assert.equal(added.headers.get("x-origin"), "storefront");
    assert.deepEqual(added.headers.getSetCookie(), []);
    assert.match(factory.logs(), /"tactful":"accept_refused_by_origin","status":404/);
  });
});
