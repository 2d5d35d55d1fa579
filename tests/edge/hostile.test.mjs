// Hostile requests at the edge, on real workerd: what anyone can send the worker's endpoints
// is refused with typed errors before it costs anything, and honest shoppers are served
// correctly while a burst of such requests arrives.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NOW, expectedCard, nativeDecide, setCookies, shopperKey, slotsOf, startEdge, view } from "./harness.mjs";

let edge;
before(async () => {
  edge = await startEdge("test");
});
after(async () => {
  await edge?.stop();
});

const decideUrl = (context, surface = "checkout") =>
  `${edge.url}/tactful/decide?surface=${surface}&context=${encodeURIComponent(context)}`;

/** A fact whose exponent once cost the reader 97 million divisions (0.35 s each). */
const SLOW_NUMBER = '{"facts":{"orders":1e-99999999999}}';

/** Requests no honest page sends, each with the status and error code it must get. */
function hostileRequests() {
  const get = (context) => () => fetch(decideUrl(context), { headers: { "x-tactful-now": String(NOW) } });
  const post = (body, headers = {}) => () =>
    fetch(`${edge.url}/tactful/event`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-tactful-now": String(NOW), ...headers },
      body,
    });
  return [
    // 100 such numbers in 2 KB once took 35 s; unknown facts are refused, the reading is linear.
    [get(`{"facts":{${Array.from({ length: 100 }, (_, i) => `"f${i}":1e-99999999999`).join(",")}}}`), 400, "context.unknown_fact"],
    [get(`{"cart":["${"x".repeat(9000)}"]}`), 400, "decide.too_large"],
    [get("{nope"), 400, "context.not_json"],
    [get("[".repeat(1000) + "]".repeat(1000)), 400, "context.not_object"],
    [get('{"cart":' + "[".repeat(600) + "]".repeat(600) + "}"), 400, /^context\./],
    [get('{"facts":{"orders":1e400}}'), 400, /^context\./],
    [get(`{"events":[${'{"name":"view_item"},'.repeat(1100)}{"name":"x"}]}`), 400, "decide.too_large"],
    // Refused by its declared length, unread; and one whose length is only known as it is read.
    [post(Buffer.alloc(100_000, 0x61)), 413, "event.too_large"],
    [post("x".repeat(5000)), 413, "event.too_large"],
    [post("not json"), 400, "event.not_json"],
    [post('{"type":"dismiss","offerId":"' + "y".repeat(300) + '"}'), 400, "memory.bad_event"],
    [post('{"type":"wave","offerId":"starter-brushes"}'), 400, "memory.bad_event"],
  ];
}

describe("hostile requests get typed errors before they cost anything", () => {
  it("the number that once burned CPU reads as the number it is", async () => {
    const response = await fetch(decideUrl(SLOW_NUMBER), { headers: { "x-tactful-now": String(NOW) } });
    assert.equal(response.status, 200);
    const { decision } = await response.json();
    const key = setCookies(response).tactful_sid.value;
    const native = await nativeDecide({ facts: { orders: 0 }, surface: "checkout", now: NOW, shopperKey: key }, "");
    assert.equal(decision.decisionId, native.decision.decisionId);
  });

  for (const [index, [send, status, code]] of hostileRequests().entries()) {
    it(`hostile request ${index} gets ${status} ${code}`, async () => {
      const response = await send();
      assert.equal(response.status, status);
      const { error } = await response.json();
      assert.match(error.code, code instanceof RegExp ? code : new RegExp(`^${code.replace(".", "\\.")}$`));
      assert.ok(error.message.length > 0);
    });
  }
});

describe("a burst of hostile requests", () => {
  it("1,000 of them while 100 honest shoppers are served correctly", async () => {
    const hostile = hostileRequests();
    const honest = Array.from({ length: 100 }, (_, i) => shopperKey(`honest shopper ${i}`));
    // The numbers that once cost 0.35 s each are in the burst too: they are answered (200).
    const slow = [() => fetch(decideUrl(SLOW_NUMBER), { headers: { "x-tactful-now": String(NOW) } }), 200];
    const kinds = [...hostile, slow];
    const burst = Array.from({ length: 1000 }, (_, i) => kinds[i % kinds.length]);
    const [attacks, pages] = await Promise.all([
      Promise.all(burst.map(async ([send, status]) => ({ status, response: await send() }))),
      Promise.all(honest.map(async (key) => ({ key, response: await view(edge, "/checkout", { cookies: { tactful_sid: key } }) }))),
    ]);
    for (const { status, response } of attacks) {
      assert.equal(response.status, status);
      await response.arrayBuffer();
    }
    for (const { key, response } of pages) {
      assert.equal(response.status, 200);
      const [slot] = slotsOf(await response.text());
      const native = await nativeDecide({ ...slot.context, surface: slot.surface, now: NOW, shopperKey: key }, "");
      assert.equal(slot.decisionId, native.decision.decisionId, `shopper ${key}`);
      assert.deepEqual(
        slot.cards,
        native.copied.offers.map((offer) => expectedCard(offer, native.decision.currency)),
      );
    }
    assert.doesNotMatch(edge.logs(), /"tactful":"decision_failed"/);
  });
});
