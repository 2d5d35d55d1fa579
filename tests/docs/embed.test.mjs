// The docs' web-page blocks, pasted into a page as a store would and loaded in headless
// Chromium under the demos' strict Content-Security-Policy: the README's smallest page (HTML,
// CSS and the module), and the embed page's fuller example. The package is served as built
// (pkg/, under /assets/tactful/), as the README says to serve it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../../www/serve.mjs";
import { launch } from "../browser/harness.mjs";
import { assertPrinted, root, snippet } from "../common/snippets.mjs";

const SNAPSHOT = join(root, "out/inkwell-studio.snap");
const SHOTS = join(root, "target/screenshots");

/**
 * A shopper key outside the 5% holdout: the pages keep the key a returning shopper's device
 * already holds, so that what they show does not depend on a fresh random key.
 */
function keyOutsideHoldout() {
  const { Engine } = createRequire(import.meta.url)(join(root, "pkg/node/tactful.js"));
  const engine = Engine.fromBytes(readFileSync(SNAPSHOT));
  for (let i = 0; ; i++) {
    const shopperKey = `docs-returning-shopper-${i}`;
    const { decision } = engine.decide({ surface: "checkout", now: Date.UTC(2026, 0, 1), shopperKey, cart: ["course-foundations"] }, "");
    if (!decision.holdout) return shopperKey;
  }
}

let browser;
let site;
let server;
let shopperKey;

before(async () => {
  site = mkdtempSync(join(tmpdir(), "tactful-docs-page-"));
  mkdirSync(join(site, "assets"));
  copyFileSync(SNAPSHOT, join(site, "assets/inkwell-studio.snap"));
  writeFileSync(join(site, "assets/checkout.css"), snippet("embed-css").code);
  server = await startServer({ csp: true, mounts: { "/assets/tactful/": join(root, "pkg"), "/": site } });
  browser = await launch();
  shopperKey = keyOutsideHoldout();
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(site, { recursive: true, force: true });
});

/** Writes a page holding the README's HTML block and `script` as /assets/checkout.js. */
function page(name, script) {
  const html = `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${name}</title></head>\n<body>\n${snippet("embed-html").code}</body>\n</html>\n`;
  writeFileSync(join(site, `${name}.html`), html);
  writeFileSync(join(site, "assets/checkout.js"), script);
  return `${server.url}/${name}.html`;
}

/** Opens `url` in a fresh context at `width`; collects console lines, errors and failed requests. */
async function open(url, width, { beacons = [] } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  await context.addInitScript((key) => {
    if (!localStorage.getItem("tactful:sid")) localStorage.setItem("tactful:sid", key);
  }, shopperKey);
  await context.route("**/analytics", (route) => {
    beacons.push(JSON.parse(route.request().postData()));
    return route.fulfill({ status: 204 });
  });
  const tab = await context.newPage();
  const log = [];
  const problems = [];
  tab.on("console", (message) => {
    log.push(message.text());
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  tab.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  tab.on("response", (response) => {
    if (response.status() >= 400 && !response.url().endsWith("/favicon.ico")) problems.push(`${response.status()} ${response.url()}`);
  });
  tab.on("requestfailed", (request) => problems.push(`failed: ${request.url()}`));
  await tab.goto(url);
  return { context, tab, log, problems };
}

/** Waits until the page's console holds what `block` promises (10 s at most), then checks it. */
async function expectPrinted(block, tab, log) {
  for (let i = 0; i < 200; i++) {
    try {
      return assertPrinted(block, log.join("\n"));
    } catch {
      await tab.waitForTimeout(50);
    }
  }
  assertPrinted(block, log.join("\n"));
}

test("the README's page, pasted as written, shows the offer it promises", async () => {
  const block = snippet("embed-js");
  const url = page("readme", block.code);
  for (const width of [1280, 375]) {
    const { context, tab, log, problems } = await open(url, width);
    try {
      await expectPrinted(block, tab, log);
      const card = tab.locator(".tactful-card");
      await card.waitFor();
      assert.equal(await tab.locator(".tactful-offer .tactful-title").first().textContent(), "Creator Toolkit Bundle");
      // The card's buttons are whole inside the viewport's width: nothing clipped at 375 px.
      for (const button of await tab.locator(".tactful-offer button").all()) {
        const box = await button.boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= width, `a button sits inside ${width} px`);
      }
      await tab.waitForFunction(() => document.querySelector(".tactful-card"));
      await tab.screenshot({ path: join(SHOTS, `docs-readme-page-${width}.png`), fullPage: true });
      assert.deepEqual(problems, [], "no error, no failed request, no CSP violation");
    } finally {
      await context.close();
    }
  }
});

test("the embed page's fuller example runs as written and reports to the store's analytics", async () => {
  const block = snippet("embed-options");
  const url = page("options", block.code);
  const beacons = [];
  const { context, tab, log, problems } = await open(url, 1280, { beacons });
  try {
    await expectPrinted(block, tab, log);
    // onReport reached the stand-in analytics: the first decision's exposure.
    for (let i = 0; i < 100 && beacons.length === 0; i++) await tab.waitForTimeout(50);
    assert.ok(beacons.some((report) => report.type === "exposure"), `reports: ${JSON.stringify(beacons)}`);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
