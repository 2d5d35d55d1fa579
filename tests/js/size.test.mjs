// Size budgets of what a page or an edge worker downloads, as tests: the optimised .wasm, the
// JS glue and the sample snapshot, compressed as a CDN serves them. ./build.sh prints the same
// figures at every build (tests/js/sizes.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const gzip = (path) => gzipSync(readFileSync(join(root, path)), { level: 9 }).length;
const KiB = 1024;

// The budget is 100 KB gzip (100,000 bytes); the aim is 60 KB, printed but not enforced
// (www/docs/numbers.md, "The npm package").
const WASM_GZIP_BUDGET = 100_000;
const WASM_GZIP_AIM = 60_000;

test("the optimised .wasm stays within its budget, gzip", (t) => {
  const size = gzip("pkg/web/tactful_bg.wasm");
  t.diagnostic(`wasm gzip ${(size / 1000).toFixed(1)} KB; budget 100 KB met; aim 60 KB ${size <= WASM_GZIP_AIM ? "met" : "NOT met"}`);
  assert.ok(size <= WASM_GZIP_BUDGET, `${size} bytes gzip, over the ${WASM_GZIP_BUDGET}-byte budget`);
});

// The Node entry's module is built for speed (Cargo.toml's `wasm-node` profile): nothing
// downloads it per page, so its bytes are the package's install size, held to a budget of
// their own. It must be the speed build, not a copy of the web one.
const NODE_WASM_GZIP_BUDGET = 130_000;

test("the Node entry's .wasm is the speed build, within its own budget", (t) => {
  const [node, web] = [gzip("pkg/node/tactful_bg.wasm"), gzip("pkg/web/tactful_bg.wasm")];
  t.diagnostic(`Node's wasm gzip ${(node / 1000).toFixed(1)} KB, the web build's ${(web / 1000).toFixed(1)} KB`);
  assert.ok(node <= NODE_WASM_GZIP_BUDGET, `${node} bytes gzip, over the ${NODE_WASM_GZIP_BUDGET}-byte budget`);
  assert.ok(node > web, "pkg/node ships the web build's module, not the speed build");
});

test("the JS glue and the sample snapshot are small", () => {
  assert.ok(gzip("pkg/web/tactful.js") <= 6 * KiB, "web glue over 6 KiB gzip");
  assert.ok(gzip("pkg/edge/tactful.js") <= 1 * KiB, "edge entry over 1 KiB gzip");
  // The embed and the worker it starts for the engine: one budget for the two.
  assert.ok(gzip("pkg/embed/embed.js") + gzip("pkg/embed/embed-worker.js") <= 10 * KiB, "embed script and its worker over 10 KiB gzip");
  // Fetched only by a page that debugs, so outside the embed's budget, but kept small too.
  assert.ok(gzip("pkg/embed/embed-debug.js") <= 3 * KiB, "the embed's debugging module over 3 KiB gzip");
  assert.ok(gzip("out/inkwell-studio.snap") <= 4 * KiB, "sample snapshot over 4 KiB gzip");
});
