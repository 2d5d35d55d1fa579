// createEdgeWorker's options are checked when the worker module loads: each mistake is an
// OptionsError naming the option (code and path), thrown by the factory, so a deploy fails
// rather than a shopper's request. Checked under Node on the package as installed
// (`tactful/edge`), and on real workerd, which refuses to start a worker whose options are wrong.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createEdgeWorker } from "tactful/edge";
import { ROOT, SNAPSHOT, WORKERD } from "./harness.mjs";

const wasm = new WebAssembly.Module(readFileSync(join(ROOT, "pkg", "web", "tactful_bg.wasm")));
const snapshot = new Uint8Array(readFileSync(SNAPSHOT));
const good = { wasm, snapshot, accept: "/cart/add?offer={offerId}" };

test("good options give a module worker's default export", () => {
  const forms = { action: "/cart/add", method: "post", fields: { offer: "{offerId}", quantity: "1" } };
  for (const options of [
    good,
    { ...good, snapshot: snapshot.buffer.slice(snapshot.byteOffset, snapshot.byteOffset + snapshot.byteLength) },
    { ...good, accept: forms },
    { ...good, accept: "https://shop.example/cart/{offerId}", origin: "https://origin.example" },
    { ...good, origin: { binding: "SHOP" }, labels: { heading: "Also", accept: "Ajouter", added: "Ajouté :" } },
    { ...good, formatPrice: (minor, currency) => `${minor / 100} ${currency}` },
  ]) {
    assert.equal(typeof createEdgeWorker(options).fetch, "function");
  }
});

// [what is wrong, the options, the error's code, its path]
const bad = [
  ["no options", undefined, "options.type", "options"],
  ["an unknown option", { ...good, origen: "https://origin.example" }, "options.unknown", "origen"],
  ["the .wasm's bytes, not a module", { ...good, wasm: readFileSync(join(ROOT, "pkg", "web", "tactful_bg.wasm")) }, "options.type", "wasm"],
  ["no snapshot", { ...good, snapshot: undefined }, "options.type", "snapshot"],
  ["a snapshot path", { ...good, snapshot: "./store.snap" }, "options.type", "snapshot"],
  ["no accept target", { wasm, snapshot }, "options.required", "accept"],
  ["a template without {offerId}", { ...good, accept: "/cart/add" }, "options.template", "accept"],
  ["a misspelt placeholder", { ...good, accept: "/cart/add?offer={offerID}" }, "options.template", "accept"],
  ["a relative template", { ...good, accept: "cart/add?offer={offerId}" }, "options.template", "accept"],
  ["a protocol-relative template", { ...good, accept: "//evil.example/{offerId}" }, "options.template", "accept"],
  ["a form to another site", { ...good, accept: { action: "https://shop.example/add", fields: { offer: "{offerId}" } } }, "options.template", "accept.action"],
  ["a form sent by GET", { ...good, accept: { action: "/cart/add", method: "get", fields: { offer: "{offerId}" } } }, "options.template", "accept.method"],
  ["a form with no {offerId}", { ...good, accept: { action: "/cart/add", fields: { offer: "1" } } }, "options.template", "accept.fields"],
  ["a form field not a string", { ...good, accept: { action: "/cart/add", fields: { offer: "{offerId}", quantity: 1 } } }, "options.type", "accept.fields.quantity"],
  ["a form with an unknown key", { ...good, accept: { url: "/cart/add", action: "/cart/add", fields: { offer: "{offerId}" } } }, "options.unknown", "accept.url"],
  ["an origin with a path", { ...good, origin: "https://origin.example/shop" }, "options.type", "origin"],
  ["an origin that is not a URL", { ...good, origin: "origin.example" }, "options.type", "origin"],
  ["an origin binding not named", { ...good, origin: { service: "SHOP" } }, "options.type", "origin"],
  ["an unknown label", { ...good, labels: { title: "Offer" } }, "options.unknown", "labels.title"],
  ["an empty label", { ...good, labels: { accept: " " } }, "options.type", "labels.accept"],
  ["a log that is not a function", { ...good, log: "records.jsonl" }, "options.type", "log"],
  ["a formatPrice that is not a function", { ...good, formatPrice: "de-DE" }, "options.type", "formatPrice"],
  ["logDecisions not a boolean", { ...good, log: () => {}, logDecisions: "yes" }, "options.type", "logDecisions"],
  ["logDecisions with no log to log through", { ...good, logDecisions: true }, "options.required", "log"],
  ["a heading for no surface", { ...good, labels: { heading: { checkuot: "Pay" } } }, "options.unknown", "labels.heading.checkuot"],
];

for (const [what, options, code, path] of bad) {
  test(`an OptionsError at creation: ${what}`, () => {
    assert.throws(
      () => createEdgeWorker(options),
      (error) => {
        assert.ok(error instanceof TypeError);
        assert.equal(error.name, "OptionsError");
        assert.equal(error.code, code);
        assert.equal(error.path, path);
        assert.ok(error.message.startsWith(`tactful/edge: ${path}: `), error.message);
        return true;
      },
    );
  });
}

test("workerd refuses to start a worker whose options are wrong, and says why", async () => {
  const config = join(ROOT, "tests", "edge", "factory.capnp");
  const args = ["serve", config, "misconfigured", "--socket-addr", "http=127.0.0.1:0", "--external-addr", "origin=127.0.0.1:9"];
  const { code, stderr } = await new Promise((resolve) => {
    execFile(WORKERD, args, { timeout: 30_000 }, (error, _stdout, stderr) => resolve({ code: error?.code, stderr }));
  });
  assert.equal(code, 1);
  assert.match(stderr, /OptionsError: tactful\/edge: accept: \{offerID\} is not a placeholder/);
});

test("a log that throws or rejects is logged to the console and never fails the request; a promise it returns is kept alive", async (t) => {
  const dismiss = () =>
    new Request("https://shop.example/tactful/event", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://shop.example", referer: "https://shop.example/checkout" },
      body: new URLSearchParams({ type: "dismiss", offerId: "creator-toolkit", decisionId: "e39670738b53263a" }).toString(),
    });
  const errors = [];
  t.mock.method(console, "error", (line) => errors.push(String(line)));
  const kept = [];
  const ctx = { waitUntil: (promise) => kept.push(promise) };
  const records = [];
  const logging = createEdgeWorker({ ...good, log: async (record) => records.push(record) });
  assert.equal((await logging.fetch(dismiss(), {}, ctx)).status, 303);
  await Promise.all(kept);
  assert.equal(records.length, 1);
  assert.deepEqual({ ...records[0], at: 0, shopperKey: "" }, {
    type: "dismiss", v: 1, decisionId: "e39670738b53263a", offerId: "creator-toolkit", at: 0, shopperKey: "", via: "button",
  });
  assert.equal(kept.length, 1, "the log's promise was handed to ctx.waitUntil");
  for (const log of [() => { throw new Error("disk full"); }, () => Promise.reject(new Error("queue down"))]) {
    const worker = createEdgeWorker({ ...good, log });
    assert.equal((await worker.fetch(dismiss(), {}, ctx)).status, 303, "the dismissal is recorded all the same");
    // Without a ctx too: a rejection is caught, never left unhandled.
    assert.equal((await worker.fetch(dismiss())).status, 303);
  }
  await Promise.all(kept);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(errors.filter((line) => line.includes("log_failed")).length, 4, errors.join("\n"));
});
