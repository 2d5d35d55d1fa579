// The edge worker and the embed script together, for real: headless Chromium browsing the demo
// storefront through workerd. A dismissal made on the edge's server-rendered card keeps the
// offer away in the embed's in-page widget, and a dismissal made in the widget keeps it away
// from the edge's next page: the two share the `tactful_sid` and `tactful_mem` cookies.
//
// Needs what both suites need: ./build.sh build, npm ci in tests/edge and tests/browser, and
// Chromium (./build.sh test installs them).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, root } from "../browser/harness.mjs";
import { NOW, startEdge } from "./harness.mjs";

let edge;
let browser;

before(async () => {
  [edge, browser] = await Promise.all([startEdge("test"), launch()]);
});

after(async () => {
  await Promise.all([edge?.stop(), browser?.close()]);
});

/** The shopper of this test: a key the sample store does not put in its holdout. */
const SHOPPER = "edge-browser-shopper-2";

/** The offer ids of the card on the page (the edge's and the embed's use the same markup). */
const offersOn = (page) => page.locator(".tactful-offer").evaluateAll((nodes) => nodes.map((n) => n.dataset.offerId));

/** What the edge decides for this shopper's cart now, from the cookies the browser holds. */
async function edgeDecision(context, at) {
  const cookies = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const slot = { cart: ["course-foundations"], events: [{ name: "view_item" }, { name: "add_to_cart" }, { name: "view_cart" }] };
  const url = `${edge.url}/tactful/decide?surface=cart&context=${encodeURIComponent(JSON.stringify(slot))}`;
  const response = await fetch(url, { headers: { cookie: cookies, "x-tactful-now": String(at) } });
  assert.equal(response.status, 200);
  return (await response.json()).decision;
}

test("edge and embed keep each other's dismissals through the shared cookies", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await context.setExtraHTTPHeaders({ "x-tactful-now": String(NOW) });
  // A fixed shopper key, outside the holdout: a fresh random one now and then drew a holdout
  // shopper, who is rightly shown nothing, and the test failed.
  await context.addCookies([{ name: "tactful_sid", value: SHOPPER, url: edge.url }]);

  // 1. The edge renders the cart's card into the HTML and sets the shopper's memory cookie.
  await page.goto(`${edge.url}/cart`);
  const first = await offersOn(page);
  assert.ok(first.length >= 2, `the edge shows the cart's offers: ${first}`);
  const names = (await context.cookies()).map((c) => c.name);
  assert.ok(names.includes("tactful_sid") && names.includes("tactful_mem"), `cookies: ${names}`);

  // The card wears the embed's stylesheet, which the edge serves, themed by the store's
  // custom properties (its background here).
  mkdirSync(join(root, "target/screenshots"), { recursive: true });
  await page.screenshot({ path: join(root, "target/screenshots/edge-cart.png"), fullPage: true });
  assert.equal(await page.$eval(".tactful-card", (c) => getComputedStyle(c).backgroundColor), "rgb(251, 248, 243)");
  const accent = await page.$eval(".tactful-dismiss", (b) => getComputedStyle(b).color);
  assert.equal(accent, "rgb(59, 59, 179)", "the edge card is styled by /tactful/card.css");
  // Every button's accessible name names its offer.
  const labels = await page.$$eval(".tactful-offer", (articles) =>
    articles.map((a) => [a.querySelector(".tactful-dismiss").getAttribute("aria-label"), a.querySelector(".tactful-title").textContent]));
  for (const [label, title] of labels) assert.equal(label, `No thanks: dismiss ${title}`);

  // 2. "No thanks" on the edge's card is a plain form: the edge records it and sends the page back.
  const [dismissedAtEdge] = first;
  await page.locator(`.tactful-offer[data-offer-id="${dismissedAtEdge}"] .tactful-dismiss`).click();
  await page.waitForURL(`${edge.url}/cart`);
  assert.ok(!(await offersOn(page)).includes(dismissedAtEdge), "the edge keeps its dismissed offer away");

  // 3. The embed, on a page the edge leaves alone, reads the edge's cookies: the same shopper,
  //    and the edge's dismissal.
  await page.goto(`${edge.url}/in-page-cart?now=${NOW + 60_000}`);
  await page.waitForSelector("#in-page-offer .tactful-card");
  const inPage = await page.evaluate(() => window.tactfulWidget.decision);
  const left = inPage.leftOut.find((l) => l.offerId === dismissedAtEdge);
  assert.equal(left?.reason, "cooling_down", "the embed read the edge's dismissal from its cookie");
  const shown = await offersOn(page);
  assert.ok(shown.length >= 1 && !shown.includes(dismissedAtEdge), `the embed shows others: ${shown}`);

  // 4. A dismissal in the embed is written back to the cookie, so the edge sees it next.
  const [dismissedInPage] = shown;
  const memoryCookie = async () => (await context.cookies()).find((c) => c.name === "tactful_mem")?.value;
  const before = await memoryCookie();
  await page.locator(`.tactful-offer[data-offer-id="${dismissedInPage}"] .tactful-dismiss`).click();
  await page.waitForFunction((old) => !document.cookie.includes(`tactful_mem=${old}`), before);
  const atEdge = await edgeDecision(context, NOW + 120_000);
  const reasons = Object.fromEntries(atEdge.leftOut.map((l) => [l.offerId, l.reason]));
  assert.equal(reasons[dismissedAtEdge], "cooling_down", "the edge still has its own dismissal");
  assert.equal(reasons[dismissedInPage], "cooling_down", "the edge has the embed's dismissal");
  assert.ok(atEdge.offers.every((o) => o.offerId !== dismissedAtEdge && o.offerId !== dismissedInPage));

  // 5. And the edge's next page is rendered without either.
  await context.setExtraHTTPHeaders({ "x-tactful-now": String(NOW + 180_000) });
  await page.goto(`${edge.url}/cart`);
  const last = await offersOn(page);
  assert.ok(!last.includes(dismissedAtEdge) && !last.includes(dismissedInPage), `the edge's page: ${last}`);
  assert.deepEqual(errors, []);
  await context.close();
});
