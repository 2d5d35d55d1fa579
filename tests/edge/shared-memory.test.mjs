// Memory shared with the browser: the embed script keeps the shopper's memory in localStorage
// (`tactful:memory`) and merges it with the worker's `tactful_mem` cookie using the package's
// `mergeMemory`, writing the merged string back to both. Here the "browser" side is the npm
// package imported as a user would (`tactful`, Node condition), and the edge side is the worker
// on real workerd; neither may lose a dismissal the other recorded.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { mergeMemory, parseMemory, recordEvent } from "tactful";
import { NOW, cookieHeader, nativeDecide, setCookies, shopperKey, slotsOf, startEdge, view } from "./harness.mjs";

const HOUR = 3_600_000;
let edge;
before(async () => {
  edge = await startEdge("test");
});
after(async () => {
  await edge?.stop();
});

it("a dismissal at the edge and one in the browser both survive the merge, in either order", async () => {
  const key = shopperKey("shared memory");
  // At the edge: the checkout page shows an offer, and the shopper dismisses it there.
  const page = await view(edge, "/checkout", { cookies: { tactful_sid: key } });
  const [slot] = slotsOf(await page.text());
  const edgeOffer = slot.cards[0].offerId;
  const dismissed = await fetch(`${edge.url}/tactful/event`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-tactful-now": String(NOW + 1000),
      cookie: cookieHeader({ tactful_sid: key, tactful_mem: setCookies(page).tactful_mem.value }),
    },
    body: JSON.stringify({ type: "dismiss", offerId: edgeOffer }),
  });
  const cookieMemory = setCookies(dismissed).tactful_mem.value;

  // In the browser, before it saw the cookie: the embed showed and dismissed another offer.
  const browserOffer = edgeOffer === "workbook-addon" ? "quickstart-companion" : "workbook-addon";
  let local = recordEvent("", { type: "impression", offerId: browserOffer, surface: "cart", at: NOW + 2000 });
  local = recordEvent(local, { type: "dismiss", offerId: browserOffer, at: NOW + 3000 });

  // The embed's merge on load, in both orders: the same memory, holding both dismissals.
  const merged = mergeMemory(local, cookieMemory);
  assert.equal(merged, mergeMemory(cookieMemory, local));
  assert.equal(parseMemory(merged), merged);
  assert.equal(mergeMemory(merged, cookieMemory), merged, "merging again changes nothing");

  // Back at the edge with the merged cookie: both offers are cooling down, as natively.
  const context = { cart: ["course-foundations", "course-quickstart"], events: [{ name: "begin_checkout" }] };
  const url = `${edge.url}/tactful/decide?surface=checkout&context=${encodeURIComponent(JSON.stringify(context))}`;
  const later = NOW + HOUR;
  const response = await fetch(url, {
    headers: { "x-tactful-now": String(later), cookie: cookieHeader({ tactful_sid: key, tactful_mem: merged }) },
  });
  const text = await response.text();
  const native = await nativeDecide({ ...context, surface: "checkout", now: later, shopperKey: key }, merged);
  assert.equal(text, native.text);
  const { decision, memory: written } = JSON.parse(text);
  for (const offerId of [edgeOffer, browserOffer]) {
    assert.equal(decision.leftOut.find((l) => l.offerId === offerId)?.reason, "cooling_down", `${offerId}: ${text}`);
    assert.ok(!decision.offers.some((o) => o.offerId === offerId));
  }
  // The cookie the worker writes after that decision still holds both dismissals: merged
  // into the browser's copy it changes nothing but the decision count.
  assert.equal(setCookies(response).tactful_mem.value, written);
  const again = mergeMemory(local, written);
  const check = await nativeDecide({ ...context, surface: "checkout", now: later + 1, shopperKey: key }, again);
  for (const offerId of [edgeOffer, browserOffer]) {
    assert.equal(check.decision.leftOut.find((l) => l.offerId === offerId)?.reason, "cooling_down");
  }
});

it("a browser that lost its cookie merges nothing away: the worker's fresh memory is a union too", async () => {
  const key = shopperKey("lost cookie");
  let local = recordEvent("", { type: "dismiss", offerId: "creator-toolkit", at: NOW });
  // The shopper cleared cookies: the worker starts fresh memory and writes it.
  const page = await view(edge, "/checkout", { cookies: { tactful_sid: key }, now: NOW + HOUR });
  const cookieMemory = setCookies(page).tactful_mem.value;
  local = mergeMemory(local, cookieMemory);
  const native = await nativeDecide(
    { cart: ["course-foundations"], events: [{ name: "begin_checkout" }], facts: { orders: 0 }, surface: "checkout", now: NOW + 2 * HOUR, shopperKey: key },
    local,
  );
  assert.equal(native.decision.leftOut.find((l) => l.offerId === "creator-toolkit")?.reason, "cooling_down");
  // The embed writes the merged memory back to the cookie; the next page at the edge agrees.
  const next = await view(edge, "/checkout", { cookies: { tactful_sid: key, tactful_mem: local }, now: NOW + 2 * HOUR });
  const [slot] = slotsOf(await next.text());
  assert.equal(slot.decisionId, native.decision.decisionId);
  assert.ok(!slot.cards.some((c) => c.offerId === "creator-toolkit"));
});
