// The embed's money format, imported from the built package (pkg/embed/embed.js) as a page
// would: the card's prices are grouped by hand (no Intl, no regular expression on the path to
// the first card), so the grouping is checked here at every boundary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { VERSION, formatMoney } = await import(pathToFileURL(join(root, "pkg/embed/embed.js")).href);

test("prices in minor units are grouped by thousands, with the currency's symbol", () => {
  const cases = [
    [0, "USD", "$0.00"],
    [5, "USD", "$0.05"],
    [99999, "USD", "$999.99"],
    [100000, "USD", "$1,000.00"],
    [4900, "EUR", "€49.00"],
    [123456789, "GBP", "£1,234,567.89"],
    [100000000, "USD", "$1,000,000.00"],
    [999, "JPY", "¥999"],
    [1000, "JPY", "¥1,000"],
    [1234567, "KRW", "1,234,567 KRW"],
    [123456, "XYZ", "1,234.56 XYZ"],
  ];
  for (const [minor, currency, expected] of cases) assert.equal(formatMoney(minor, currency), expected, `${minor} ${currency}`);
});

test("the embed, the package and the engine carry one version: 0.5 (snapshot format 5, items named by their ids unless named)", async () => {
  const { readFileSync } = await import("node:fs");
  const { createRequire } = await import("node:module");
  const manifest = JSON.parse(readFileSync(join(root, "pkg-config/package.json"), "utf8"));
  const { Engine } = createRequire(import.meta.url)(join(root, "pkg/node/tactful.js"));
  const engine = Engine.fromBytes(new Uint8Array(readFileSync(join(root, "out/inkwell-studio.snap"))));
  assert.equal(manifest.version, "0.5.2");
  assert.equal(VERSION, manifest.version);
  assert.equal(engine.info().engineVersion, manifest.version);
});

test("the embed's worker answers the engine's own method names and refuses any other request", async () => {
  const { readFileSync } = await import("node:fs");
  const worker = await import(pathToFileURL(join(root, "pkg/embed/embed-worker.js")).href);
  const engine = worker.load({
    snapshot: new Uint8Array(readFileSync(join(root, "out/inkwell-studio.snap"))),
    wasm: readFileSync(join(root, "pkg/web/tactful_bg.wasm")),
  });
  assert.equal((await worker.answer(engine, { op: "open" })).storeId, "inkwell-studio");
  const memory = await worker.answer(engine, { op: "record", args: ["", { type: "dismiss", offerId: "creator-toolkit", at: 1763726400000 }] });
  const parsed = await worker.answer(engine, { op: "parseMemory", args: [memory] });
  assert.equal(await worker.answer(engine, { op: "mergeMemory", args: [memory, parsed] }), memory);
  assert.equal((await worker.answer(engine, { op: "openMemory", args: [memory] })).memory, memory);
  // The names before 0.5.1 ("parse", "merge"), and anything else, are refused by name.
  for (const op of ["parse", "merge", "fromBytes", "constructor", "free"]) {
    await assert.rejects(worker.answer(engine, { op, args: [] }), { name: "EmbedError", code: "embed.bad_request" }, op);
  }
});
