// The log records on real workerd (createEdgeWorker's `log` option, tests/edge/workers/logged.js):
// the exposure of a rendered slot, the accept at POST /tactful/accept, the dismiss at
// POST /tactful/event, and decision records with `logDecisions`; each the same bytes as the
// line `tactful decide --log` / `tactful record --log` appends, and as `JSON.stringify` of the
// Node package's exposure, for the same inputs (www/docs/logs.md).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, NOW, SNAPSHOT, cli, cookieHeader, setCookies, shopperKey, slotsOf, view } from "./harness.mjs";
import { startEdge } from "./harness.mjs";

const FACTORY = join(ROOT, "tests", "edge", "factory.capnp");
const { Engine } = createRequire(import.meta.url)(join(ROOT, "pkg/node/tactful.js"));
const engine = Engine.fromBytes(readFileSync(SNAPSHOT));

let edge;
let dir;
before(async () => {
  edge = await startEdge("test", { config: FACTORY, sockets: ["http", "refused"] });
  dir = mkdtempSync(join(tmpdir(), "tactful-edge-log-"));
});
after(async () => {
  await edge?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The records a worker's `log` received since the last call, as the lines it was given. */
async function logged(url) {
  const text = await (await fetch(`${url}/test/log`)).text();
  return text === "" ? [] : text.split("\n");
}

/** What `tactful` appends to a fresh log for these arguments (`--log` is added). */
async function cliLog(name, args, input) {
  const file = join(dir, `${name}.jsonl`);
  await cli([...args, "--log", file], input);
  return readFileSync(file, "utf8").split("\n").slice(0, -1);
}

/** A shopper's first view of the checkout through a worker: the slot and the cookies set. */
async function checkout(url, key) {
  const response = await view({ url }, "/checkout", { cookies: { tactful_sid: key } });
  assert.equal(response.status, 200);
  const [slot] = slotsOf(await response.text());
  return { slot, memory: setCookies(response).tactful_mem.value };
}

/** The context the worker decided that slot from, as the CLI and the Node package take it. */
const contextOf = (slot, key) => ({ ...slot.context, surface: slot.surface, now: NOW, shopperKey: key });

describe("the edge worker's log", () => {
  it("logs the exposure of a rendered slot: the CLI's line and the Node package's record, byte for byte", async () => {
    const key = shopperKey("log-exposure");
    await logged(edge.url);
    const { slot } = await checkout(edge.url, key);
    assert.ok(slot.cards.length > 0, "this shopper is shown an offer");
    const lines = await logged(edge.url);
    assert.equal(lines.length, 1, `one exposure per rendered slot: ${lines}`);
    const [line] = lines;
    const record = JSON.parse(line);
    assert.equal(record.type, "exposure");
    assert.equal(record.v, 1);
    assert.equal(record.decisionId, slot.decisionId);
    assert.equal(record.shopperKey, key);
    assert.deepEqual(record.offers.map((o) => o.offerId), slot.cards.map((c) => c.offerId));
    assert.ok(!("context" in record), "contexts are logged only with logDecisions");
    const context = contextOf(slot, key);
    assert.deepEqual(await cliLog("exposure", ["decide", SNAPSHOT, "--context", "-"], JSON.stringify(context)), [line]);
    assert.equal(JSON.stringify(engine.decide(context, "").decision.exposure), line);
  });

  it("logs an accept at /tactful/accept and a dismiss at /tactful/event, as `tactful record --log` does", async () => {
    const key = shopperKey("log-outcomes");
    const { slot, memory } = await checkout(edge.url, key);
    await logged(edge.url);
    const form = new RegExp(`name="offerId" value="([^"]*)"><input type="hidden" name="check" value="([^"]*)"><input type="hidden" name="decisionId" value="([^"]*)">`);
    const [, offerId, check, decisionId] = slot.inner.match(form);
    assert.equal(decisionId, slot.decisionId, "the Add form names its decision");
    const post = (path, fields, now) =>
      fetch(`${edge.url}${path}`, {
        method: "POST",
        redirect: "manual",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: edge.url,
          referer: `${edge.url}/checkout`,
          "x-tactful-now": String(now),
          cookie: cookieHeader({ tactful_sid: key, tactful_mem: memory }),
        },
        body: new URLSearchParams(fields).toString(),
      });
    assert.equal((await post("/tactful/accept", { offerId, check, decisionId }, NOW + 12_000)).status, 303);
    assert.equal((await post("/tactful/event", { type: "dismiss", offerId, decisionId }, NOW + 15_000)).status, 303);
    // A form without its decision (a page cached before this version) records, but logs nothing.
    assert.equal((await post("/tactful/accept", { offerId, check }, NOW + 16_000)).status, 303);
    // A dismissal of an offer the snapshot does not have is refused, and logs nothing either.
    const unknown = await post("/tactful/event", { type: "dismiss", offerId: "no-such-offer", decisionId }, NOW + 17_000);
    assert.equal(unknown.status, 400);
    const { error } = await unknown.json();
    assert.deepEqual([error.code, error.path], ["memory.bad_event", "offerId"]);
    const lines = await logged(edge.url);
    const record = (event, extra = []) =>
      cliLog(`${event.type}-${key}`, ["record", "--snapshot", SNAPSHOT, "--event", JSON.stringify(event), "--decision", decisionId, "--shopper-key", key, ...extra]);
    const expected = [
      ...(await record({ type: "accept", offerId, at: NOW + 12_000 })),
      ...(await record({ type: "dismiss", offerId, at: NOW + 15_000 }, ["--via", "button"])),
    ];
    assert.deepEqual(lines, expected);
    assert.equal(JSON.parse(lines[0]).type, "accept");
  });

  it("with logDecisions, logs decision records: the exposure with the context and memory, as `--log-decision` writes it", async () => {
    const url = edge.urls.refused;
    const key = shopperKey("log-decision");
    await logged(url);
    const { slot } = await checkout(url, key);
    const [line] = await logged(url);
    const record = JSON.parse(line);
    assert.equal(record.type, "decision");
    assert.equal(record.memory, "", "a new shopper decides from empty memory");
    assert.equal(record.context.now, record.at);
    const context = contextOf(slot, key);
    assert.deepEqual(await cliLog("decision", ["decide", SNAPSHOT, "--context", "-", "--log-decision"], JSON.stringify(context)), [line]);
    assert.equal(JSON.stringify(engine.decide(context, "", { decisionRecord: true }).decision.exposure), line);
  });
});
