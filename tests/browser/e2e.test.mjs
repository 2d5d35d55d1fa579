// The embed script and the demos in real headless Chromium (the system's /usr/bin/chromium,
// driven by playwright-core), against the demo server on 127.0.0.1, started and stopped here.
// The pages take their clock from the URL (`?now=`), so cooldowns of days are stepped over
// without sleeping. Screenshots land in target/screenshots/ for people to look at.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launch, root, serve } from "./harness.mjs";
import { CSP } from "../../www/serve.mjs";
import { snippet } from "../common/snippets.mjs";

const SHOTS = join(root, "target/screenshots");
const T0 = 1763726400000; // 2025-11-21 12:00 UTC, the sample contexts' time
const DAY = 86_400_000;
/** What each sample offer sells (www/sample-store/offers.toml). */
const SELLS = {
  "workbook-addon": ["workbook-foundations"],
  "starter-brushes": ["pack-starter"],
  "pro-brushes": ["pack-pro"],
  "portfolio-templates": ["pack-portfolio"],
  "social-kit": ["pack-social"],
  "creator-toolkit": ["pack-starter", "pack-portfolio", "pack-social"],
  "quickstart-companion": ["course-quickstart"],
  "foundations-advanced-bundle": ["course-foundations", "course-advanced"],
  "advanced-course-upgrade": ["course-advanced"],
  "membership-monthly-plan": ["membership-monthly"],
  "membership-annual-plan": ["membership-annual"],
  "portfolio-review": ["coaching-review"],
  "coaching-intensive": ["coaching-intensive"],
};

/** The sample store's bundle prices, in cents (www/sample-store/offers.toml). */
const BUNDLE_PRICES = { "creator-toolkit": 4900, "foundations-advanced-bundle": 32900 };

let browser;
let server;
let bare; // the same server without the CSP header, for the markup test

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  mkdirSync(join(root, "target/browser-tests"), { recursive: true });
  execFileSync(join(root, "target/release/tactful"), [
    "compile", join(root, "tests/browser/stores/markup.toml"), "-o", join(root, "target/browser-tests/markup.snap"),
  ], { stdio: "pipe" });
  // A worker that starts and never answers, for the timeout test.
  writeFileSync(join(root, "target/browser-tests/silent-worker.js"), "onmessage = () => {};\n");
  [browser, server, bare] = await Promise.all([launch(), serve(), serve({ csp: false })]);
});

after(async () => {
  await browser?.close();
  await server?.close();
  await bare?.close();
});

/** A fresh browser context (its own localStorage), watching for CSP violations, layout shifts and errors. */
async function open({ viewport = { width: 1280, height: 900 }, reducedMotion = "no-preference", init } = {}) {
  const context = await browser.newContext({ viewport, reducedMotion });
  await context.addInitScript(() => {
    window.__violations = [];
    window.__cls = 0;
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
    }).observe({ type: "layout-shift", buffered: true });
  });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  const log = { console: [], errors: [], dialogs: [] };
  page.on("console", (m) => log.console.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.errors.push(e.message));
  page.on("dialog", (d) => {
    log.dialogs.push(d.message());
    d.dismiss();
  });
  return { context, page, log };
}

async function visit(page, path, base = server.url) {
  const response = await page.goto(`${base}${path}`);
  assert.equal(response.status(), 200);
  await page.waitForSelector("html[data-tactful-ready]", { timeout: 15_000 });
  return response;
}

const offersShown = (page) => page.$$eval(".tactful-offer", (els) => els.map((e) => e.dataset.offerId));
const reports = (page) => page.evaluate(() => window.tactfulDemo.reports);
const decision = (page) => page.evaluate(() => window.tactfulDemo.widget.decision);
const waitForReports = (page, n) => page.waitForFunction((count) => window.tactfulDemo.reports.length >= count, n, { timeout: 10_000 });

async function clean(page, log, { shifts = true } = {}) {
  assert.deepEqual(await page.evaluate(() => window.__violations), [], "no Content-Security-Policy violation");
  assert.deepEqual(log.errors, [], "no uncaught error");
  if (shifts) assert.equal(await page.evaluate(() => window.__cls), 0, "no layout shift");
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, animations: "disabled" });
}

test("checkout shows at most one offer, as an accessible card; dismissing it keeps it away for the cooldown", async () => {
  const { context, page, log } = await open();
  const at = (t) => `/checkout.html?now=${t}&shopper=demo-shopper-7`;
  await visit(page, at(T0));
  await page.waitForSelector(".tactful-card");
  assert.deepEqual(await offersShown(page), ["creator-toolkit"]);
  const card = page.getByRole("region", { name: "Add to your order" });
  // Every button's accessible name names its offer.
  assert.equal(await card.getByRole("button", { name: "Add Creator Toolkit Bundle", exact: true }).count(), 1);
  assert.equal(await card.getByRole("button", { name: "No thanks: dismiss Creator Toolkit Bundle", exact: true }).count(), 1);
  assert.equal(await card.count(), 1, "the card is a region labelled by its heading");
  assert.equal(await card.locator(".tactful-copy").textContent(), "Complete your toolkit: Starter Brush Pack + Portfolio Layout Templates + Social Media Kit, for $49.00.");
  await waitForReports(page, 1);
  await shot(page, "checkout");
  await page.click("#why summary");
  await shot(page, "checkout-why-panel");

  // A re-render with the same decision reports no second exposure.
  await page.evaluate(() => window.dataLayer.push({ event: "add_payment_info", ecommerce: {} }));
  await page.evaluate(() => window.tactfulDemo.widget.refresh());
  await page.waitForTimeout(200);
  const exposures = (await reports(page)).filter((r) => r.type === "exposure");
  assert.equal(exposures.length, 1, "one exposure");
  assert.deepEqual(exposures[0].offers.map((o) => o.offerId), ["creator-toolkit"]);
  assert.equal(exposures[0].holdout, false);

  // Keyboard: from the pay button, Tab reaches the card's buttons; Escape dismisses and focus
  // goes back to where it was.
  await page.focus("#pay-button");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "tactful-accept");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "tactful-dismiss");
  await page.keyboard.press("Escape");
  assert.equal(await page.locator(".tactful-card").count(), 0, "Escape dismissed the card");
  assert.equal(await page.evaluate(() => document.activeElement.id), "pay-button", "focus returned");
  const dismissal = (await reports(page)).find((r) => r.type === "dismiss");
  assert.equal(dismissal.offerId, "creator-toolkit");
  assert.equal(dismissal.via, "escape");
  assert.deepEqual(Object.keys(dismissal), ["type", "v", "decisionId", "offerId", "at", "shopperKey", "via"], "the dismiss record");
  await clean(page, log);

  // Reloads inside the 3-day cooldown: nothing. The decision says why. The cooldown runs from
  // the dismissal (the page's clock moved on from T0 meanwhile; memory keeps whole seconds).
  const dismissedAt = Math.floor(dismissal.at / 1000) * 1000;
  assert.ok(dismissedAt >= T0 && dismissedAt < T0 + 60_000, `dismissed at T0 + ${dismissal.at - T0} ms`);
  for (const t of [T0 + 60_000, T0 + DAY, T0 + 3 * DAY - 60_000]) {
    await visit(page, at(t));
    assert.deepEqual(await offersShown(page), [], `nothing at +${(t - T0) / DAY} days`);
    const left = (await decision(page)).leftOut.find((l) => l.offerId === "creator-toolkit");
    assert.equal(left.reason, "cooling_down");
    assert.equal(left.until, dismissedAt + 3 * DAY);
  }
  // After the cooldown it may return, and does.
  await visit(page, at(T0 + 3 * DAY + 3_600_000));
  await page.waitForSelector(".tactful-card");
  assert.deepEqual(await offersShown(page), ["creator-toolkit"]);
  await clean(page, log);
  await context.close();
});

test("the card's buttons: accept and dismiss update memory and are reported once", async () => {
  const { context, page, log } = await open();
  await visit(page, `/checkout.html?now=${T0}&shopper=demo-shopper-7`);
  await page.waitForSelector(".tactful-card");
  await waitForReports(page, 1);
  await page.getByRole("button", { name: "Add Creator Toolkit Bundle", exact: true }).click();
  await page.waitForSelector(".tactful-status");
  assert.match(await page.locator(".tactful-status").textContent(), /Added: Creator Toolkit Bundle/);
  assert.deepEqual(await page.evaluate(() => window.tactfulDemo.accepted), ["creator-toolkit"]);
  assert.deepEqual((await reports(page)).map((r) => r.type), ["exposure", "accept"]);
  // An offer not on the card now (a stale reference, a made-up id) is refused with a warning,
  // and no outcome is reported against a decision that never showed it.
  const refused = await page.evaluate(() => {
    const { widget } = window.tactfulDemo;
    widget.accept({ offerId: "membership-annual" });
    widget.dismiss({ offerId: "membership-annual" });
    return widget.warnings.filter((w) => w.code === "embed.offer_not_shown").map((w) => w.message);
  });
  assert.deepEqual(refused, Array(2).fill("membership-annual is not on the card"));
  assert.deepEqual((await reports(page)).map((r) => r.type), ["exposure", "accept"]);
  // Accepted is never offered again; the memory in localStorage says so after a reload.
  const memory = await page.evaluate(() => localStorage.getItem("tactful:memory"));
  assert.match(memory, /^[A-Za-z0-9_-]+$/);
  await visit(page, `/checkout.html?now=${T0 + 10 * DAY}&shopper=demo-shopper-7`);
  const left = (await decision(page)).leftOut.find((l) => l.offerId === "creator-toolkit");
  assert.equal(left?.reason, "already_bought");
  await clean(page, log);
  await context.close();
});

test("the course widget shows nothing while a lesson is in progress, and an offer after it is completed", async () => {
  const { context, page, log } = await open();
  await visit(page, `/course.html?now=${T0}&shopper=demo-shopper-7`);
  assert.deepEqual(await offersShown(page), [], "nothing before any lesson is completed");
  assert.equal((await decision(page)).play, "protect");
  await page.click("#start");
  await page.waitForFunction(() => window.tactfulDemo.decisions.length >= 2);
  assert.deepEqual(await offersShown(page), [], "nothing during the lesson");
  const during = await decision(page);
  assert.equal(during.play, "protect");
  assert.ok(during.leftOut.some((l) => l.reason === "task_in_progress"));
  await shot(page, "course-lesson-in-progress");
  await page.click("#complete");
  await page.waitForSelector(".tactful-card");
  const shown = await offersShown(page);
  assert.ok(shown.length >= 1 && shown.length <= 3, `1 to 3 offers after the lesson: ${shown}`);
  assert.match(await page.locator(".tactful-reason").first().textContent(), /completed lesson 4/);
  await waitForReports(page, 1);
  await page.click("#why summary");
  await shot(page, "course-lesson-completed");
  // A new lesson takes the offers away again.
  await page.evaluate(() => window.dataLayer.push({ event: "lesson_started", label: "lesson 5" }));
  await page.waitForFunction(() => !document.querySelector(".tactful-card"));
  await clean(page, log);
  await context.close();
});

test("owned and in-cart items are never offered (a bundle held in part only for the rest)", async () => {
  const { context, page, log } = await open();
  const cases = [
    { cart: ["course-quickstart"], owned: ["course-foundations"] },
    { cart: ["course-foundations", "workbook-foundations"], owned: ["pack-starter"] },
    { cart: ["course-foundations", "pack-starter"], owned: [] },
    { cart: ["course-foundations"], owned: ["pack-starter", "pack-portfolio"] },
  ];
  let leftOutFor = new Set();
  let anyShown = false;
  for (const [i, { cart, owned }] of cases.entries()) {
    await visit(page, `/checkout.html?now=${T0 + i * DAY}&shopper=demo-shopper-7&reset=1&cart=${cart.join(",")}&owned=${owned.join(",")}`);
    const d = await decision(page);
    for (const offer of [...d.offers, ...d.wouldHaveShown]) {
      const held = SELLS[offer.offerId].filter((item) => cart.includes(item) || owned.includes(item));
      if (held.length === 0) continue;
      // Completing a bundle: it adds something, and asks less than the whole bundle.
      assert.equal(offer.kind, "bundle", `${offer.offerId} sells ${held}, which is in the cart or owned`);
      assert.ok(held.length < SELLS[offer.offerId].length, `${offer.offerId} would add nothing`);
      assert.ok(offer.price < BUNDLE_PRICES[offer.offerId], `${offer.offerId} asks for the whole bundle`);
    }
    anyShown ||= (await offersShown(page)).length > 0;
    for (const l of d.leftOut) if (l.reason === "owned" || l.reason === "in_cart") leftOutFor.add(l.reason);
  }
  assert.ok(anyShown, "some case still shows an offer");
  assert.deepEqual([...leftOutFor].sort(), ["in_cart", "owned"]);
  // The course widget: the shopper owns the Starter Brush Pack, so it is left out as owned.
  await visit(page, `/course.html?now=${T0}&shopper=demo-shopper-7&reset=1`);
  await page.click("#start");
  await page.click("#complete");
  await page.waitForSelector(".tactful-card");
  assert.ok(!(await offersShown(page)).includes("starter-brushes"));
  assert.equal((await decision(page)).leftOut.find((l) => l.offerId === "starter-brushes")?.reason, "owned");
  // (The checkout pages above drew a cart from the URL, which moves the summary: not the card.)
  await clean(page, log, { shifts: false });
  await context.close();
});

test("a holdout shopper sees nothing, and one exposure with the holdout flag is reported", async () => {
  const { context, page, log } = await open();
  await visit(page, `/checkout.html?now=${T0}&shopper=shopper-25`);
  await waitForReports(page, 1);
  assert.equal(await page.locator(".tactful-card").count(), 0);
  const d = await decision(page);
  assert.equal(d.holdout, true);
  assert.deepEqual(d.offers, []);
  assert.ok(d.wouldHaveShown.length === 1);
  // Signals and re-renders make no second report.
  await page.evaluate(() => window.dataLayer.push({ event: "add_payment_info", ecommerce: {} }));
  await page.evaluate(() => window.tactfulDemo.widget.refresh());
  await page.waitForTimeout(200);
  const all = await reports(page);
  assert.equal(all.length, 1);
  assert.equal(all[0].type, "exposure");
  assert.equal(all[0].holdout, true);
  assert.deepEqual(all[0].offers.map((o) => o.offerId), d.wouldHaveShown.map((o) => o.offerId));
  // The console says once, without debug, why the slot is empty.
  for (let i = 0; i < 50 && !log.console.some((line) => line.includes("the slot is empty")); i++) await page.waitForTimeout(20);
  const empty = log.console.filter((line) => line.startsWith("info: tactful: the slot is empty:"));
  assert.equal(empty.length, 1, log.console.join("\n"));
  assert.match(empty[0], /the shopper is in the holdout group, which is shown nothing \(it would have seen creator-toolkit\)/);
  await page.click("#why summary");
  await shot(page, "checkout-holdout");
  // An engine that cannot give the words (its worker gone) leaves the slot's reason said from
  // its codes: never an uncaught rejection.
  const before = log.console.length;
  await page.evaluate(async () => {
    const { widget } = window.tactfulDemo;
    widget.explain = () => Promise.reject(Object.assign(new Error("the engine is gone"), { code: "embed.test_gone" }));
    widget.saidEmpty = false;
    await widget.refresh();
  });
  const said = () => log.console.slice(before);
  for (let i = 0; i < 50 && !said().some((line) => line.includes("the slot is empty")); i++) await page.waitForTimeout(20);
  assert.ok(said().some((line) => line.startsWith("info: tactful: the slot is empty: the shopper is in the holdout group")), said().join("\n"));
  await clean(page, log);
  await context.close();
});

test("debug: with the store's allowing it, ?tactful-debug logs each decision, every left-out candidate with its reason", async () => {
  const { context, page, log } = await open();
  await visit(page, `/checkout.html?now=${T0}&shopper=demo-shopper-7&tactful-debug`);
  await page.waitForSelector(".tactful-card");
  // Console messages arrive a little after the page's own work.
  for (let i = 0; i < 50 && !log.console.some((line) => line.startsWith("log: left out")); i++) await page.waitForTimeout(20);
  const head = log.console.find((line) => line.startsWith("startGroupCollapsed: tactful: expand on checkout: 1 shown"));
  assert.ok(head, log.console.join("\n"));
  assert.ok(log.console.includes("log: shows creator-toolkit (completeness, score 15.1941): 41% of buyers of Foundations of Digital Illustration add Starter Brush Pack, part of this bundle, within 30 days; often bought with Foundations of Digital Illustration; popular with Inkwell Studio shoppers"), log.console.join("\n"));
  assert.ok(log.console.includes("log: left out workbook-addon: tier [policy.tiers] this cart value calls for the bundle tier, not add_on"), log.console.join("\n"));
  // Without the flag the same page logs no decision.
  const quiet = await open();
  await visit(quiet.page, `/checkout.html?now=${T0}&shopper=demo-shopper-7`);
  await quiet.page.waitForSelector(".tactful-card");
  assert.ok(!quiet.log.console.some((line) => line.includes("tactful: expand on checkout")), quiet.log.console.join("\n"));
  await clean(page, log);
  await quiet.context.close();
  await context.close();
});

test("debug: ?tactful-debug=overlay,show-holdout draws the overlay and shows a holdout shopper the offer, marked in every report", async () => {
  for (const viewport of [{ width: 1280, height: 900 }, { width: 375, height: 800 }]) {
    const { context, page, log } = await open({ viewport });
    await visit(page, `/checkout.html?now=${T0}&shopper=shopper-25&tactful-debug=overlay,show-holdout`);
    await page.waitForSelector(".tactful-card");
    const d = await decision(page);
    assert.equal(d.holdout, true, "shopper-25 is in the holdout");
    assert.deepEqual(await offersShown(page), d.wouldHaveShown.map((o) => o.offerId));
    await page.locator(".tactful-card").scrollIntoViewIfNeeded(); // below the fold at 375 px
    await waitForReports(page, 1);
    const [exposure] = await reports(page);
    assert.equal(exposure.type, "exposure");
    assert.equal(exposure.holdout, true);
    assert.equal(exposure.debug, "show-holdout", "readers exclude it");
    const overlay = page.getByRole("complementary", { name: "tactful debug" });
    await overlay.waitFor();
    assert.match(await overlay.locator("summary").textContent(), /^tactful: expand on checkout: 0 shown \(holdout, shown for development\), \d+ left out$/);
    // Open on a wide screen; folded to its summary on a narrow one, where it would cover the page.
    const details = overlay.locator("details");
    assert.equal(await details.evaluate((e) => e.open), viewport.width >= 640);
    if (viewport.width < 640) await overlay.locator("summary").click();
    const lines = await overlay.locator("li").allTextContents();
    assert.ok(lines.some((line) => line.startsWith("would show creator-toolkit (completeness, score ")), lines.join("\n"));
    assert.ok(lines.includes("left out workbook-addon: tier [policy.tiers] this cart value calls for the bundle tier, not add_on"), lines.join("\n"));
    // The overlay stays inside the viewport, and its button closes it.
    const box = await overlay.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= viewport.width, `overlay inside ${viewport.width} px`);
    await shot(page, `checkout-debug-overlay-${viewport.width}`);
    await overlay.getByRole("button", { name: "Close the tactful debug overlay" }).click();
    assert.equal(await page.locator(".tactful-debug").count(), 0);
    // A dismissal of the card shown for development is marked too.
    await page.getByRole("button", { name: "No thanks: dismiss Creator Toolkit Bundle" }).click();
    await waitForReports(page, 2);
    assert.equal((await reports(page))[1].debug, "show-holdout");
    await clean(page, log, { shifts: false }); // the overlay is fixed over the page: it moves nothing
    await context.close();
  }
  // Without show-holdout the same shopper sees nothing, and the overlay says why.
  const { context, page } = await open();
  await visit(page, `/checkout.html?now=${T0}&shopper=shopper-25&tactful-debug=overlay`);
  const overlay = page.locator(".tactful-debug");
  await overlay.waitFor();
  assert.equal(await page.locator(".tactful-card").count(), 0);
  assert.match(await overlay.textContent(), /slot is empty: the shopper is in the holdout group/);
  await waitForReports(page, 1);
  assert.equal((await reports(page))[0].debug, undefined);
  // A page that does not debug never fetches the debugging module.
  const plain = await open();
  const fetched = [];
  plain.page.on("request", (request) => fetched.push(new URL(request.url()).pathname));
  await visit(plain.page, `/checkout.html?now=${T0}&shopper=demo-shopper-7`);
  await plain.page.waitForSelector(".tactful-card");
  assert.ok(!fetched.some((path) => path.endsWith("embed-debug.js")), fetched.join(" "));
  await plain.context.close();
  await context.close();
});

test("at 1280, 375 and 320 px every offer in the card is whole, no button is clipped, and the exposure counts only what is visible", async () => {
  const measure = (page) => page.evaluate(() => {
    const card = document.querySelector(".tactful-card");
    const box = card.getBoundingClientRect();
    const inside = (r) => r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5 && r.right <= box.right + 0.5;
    return {
      offers: [...card.querySelectorAll(".tactful-offer")].map((a) => ({ id: a.dataset.offerId, whole: inside(a.getBoundingClientRect()) })),
      buttonsWhole: [...card.querySelectorAll("button")].every((b) => inside(b.getBoundingClientRect())),
      scrolls: card.scrollHeight > card.clientHeight + 1,
      // From the last offer's bottom to the card's: its padding and border, no blank space.
      below: box.bottom - [...card.querySelectorAll(".tactful-offer")].at(-1).getBoundingClientRect().bottom,
      room: parseFloat(getComputedStyle(card).paddingBottom) + parseFloat(getComputedStyle(card).borderBottomWidth),
      pastSlot: card.classList.contains("tactful-card--flow") ? 0 : box.bottom - card.parentElement.getBoundingClientRect().bottom,
    };
  });
  for (const width of [1280, 375, 320]) {
    for (const page of ["checkout", "course"]) {
      const { context, page: tab, log } = await open({ viewport: { width, height: 900 } });
      await visit(tab, `/${page}.html?now=${T0}&shopper=demo-shopper-7`);
      if (page === "course") {
        await tab.click("#start");
        await tab.waitForFunction(() => window.tactfulDemo.decisions.length >= 2);
        await tab.click("#complete");
      }
      await tab.waitForSelector(".tactful-card");
      // The exposure waits until the card is on screen; on a phone the slot is below the fold.
      await tab.locator(".tactful-card").scrollIntoViewIfNeeded();
      await waitForReports(tab, 1);
      const seen = await measure(tab);
      const where = `${page} at ${width} px`;
      assert.ok(seen.offers.length >= 1, where);
      assert.ok(seen.offers.every((o) => o.whole), `${where}: an offer is cut off: ${JSON.stringify(seen)}`);
      assert.ok(seen.buttonsWhole, `${where}: a button is clipped`);
      assert.equal(seen.scrolls, false, `${where}: the card scrolls`);
      assert.ok(Math.abs(seen.below - seen.room) <= 1, `${where}: the card's border is not under its last offer: ${JSON.stringify(seen)}`);
      assert.ok(seen.pastSlot <= 0.5, `${where}: the card reaches past its slot`);
      const exposure = (await reports(tab)).find((r) => r.type === "exposure");
      const ids = seen.offers.map((o) => o.id);
      assert.deepEqual(exposure.offers.map((o) => o.offerId), ids, `${where}: the exposure lists what is visible`);
      const d = await decision(tab);
      assert.deepEqual(exposure.notVisible ?? [], d.offers.map((o) => o.offerId).filter((id) => !ids.includes(id)), where);
      await shot(tab, `${page}-${width}`);
      assert.deepEqual(log.errors, [], where);
      await context.close();
    }
  }
});

test("collapse: an empty slot below the view gives up its height with no layout shift; in view it keeps it unless 'always'", async () => {
  const height = (page) => page.evaluate(() => document.querySelector("#offer").getBoundingClientRect().height);
  const holdout = (query) => `/checkout.html?now=${T0}&shopper=shopper-25&${query}`;
  // A phone: the order column, and the slot in it, start below the view.
  const phone = await open({ viewport: { width: 375, height: 600 } });
  await visit(phone.page, holdout("collapse"));
  assert.equal((await decision(phone.page)).holdout, true);
  assert.equal(await height(phone.page), 0, "collapsed while out of sight");
  await clean(phone.page, phone.log);
  await phone.context.close();
  // Without the option the slot keeps its reserved height.
  const kept = await open({ viewport: { width: 375, height: 600 } });
  await visit(kept.page, holdout(""));
  assert.ok((await height(kept.page)) > 100);
  await kept.context.close();
  // A wide screen shows the slot: it keeps its height, unless the store says "always".
  const wide = await open();
  await visit(wide.page, holdout("collapse"));
  assert.ok((await height(wide.page)) > 100, "in view, an empty slot keeps its height");
  await visit(wide.page, holdout("collapse=always"));
  assert.equal(await height(wide.page), 0);
  await wide.context.close();
});

test("offer copy with markup is shown as text and no script runs (with and without the CSP)", async () => {
  for (const base of [bare.url, server.url]) {
    const { context, page, log } = await open();
    await visit(page, `/checkout.html?now=${T0}&shopper=markup&snapshot=/test-out/markup.snap`, base);
    await page.waitForSelector(".tactful-card");
    await page.click("#why summary");
    await page.waitForTimeout(300); // an injected <img src=x> would have failed to load by now
    const card = page.locator(".tactful-card");
    assert.match(await card.locator(".tactful-copy").textContent(), /^<img src=x onerror="window.__xss = 'copy'"> Add the pack <a href=/);
    assert.match(await card.locator(".tactful-title").textContent(), /^<script>window.__xss = 'title'<\/script>Starter pack$/);
    assert.match(await card.locator(".tactful-reason").textContent(), /<img src=x/);
    assert.equal(await page.locator("#offer img, #offer script, #offer a, #offer b, #why img, #why b").count(), 0, "no element from the catalog");
    assert.equal(await page.evaluate(() => window.__xss), undefined, "no script ran");
    assert.deepEqual(log.dialogs, []);
    // This store's copy is longer than the demo reserves room for: the card grows rather than
    // clip its buttons, which moves the page below it.
    await clean(page, log, { shifts: false });
    if (base === bare.url) await shot(page, "checkout-markup-as-text");
    await context.close();
  }
});

test("the demos work under a strict Content-Security-Policy", async () => {
  for (const path of ["/checkout.html", "/course.html", "/"]) {
    const { context, page, log } = await open();
    const response = await page.goto(`${server.url}${path}?now=${T0}&shopper=demo-shopper-7`);
    assert.equal(response.headers()["content-security-policy"], CSP);
    assert.match(CSP, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    if (path !== "/") {
      await page.waitForSelector("html[data-tactful-ready]");
      assert.ok(await decision(page), "the engine ran (compiled under 'wasm-unsafe-eval')");
      // In its worker (same origin: worker-src falls back to script-src 'self'), not on the page.
      assert.equal(await page.evaluate(() => window.tactfulDemo.widget.thread), "worker");
      assert.deepEqual(await page.evaluate(() => window.tactfulDemo.widget.warnings.filter((w) => w.code.startsWith("embed."))), []);
    }
    assert.equal(await page.locator("script:not([src])").count(), 0, "no inline script in the page");
    await clean(page, log);
    await context.close();
  }
  // The .wasm is served as application/wasm (streaming instantiation), compressed.
  const res = await fetch(`${server.url}/pkg/web/tactful_bg.wasm`, { headers: { "accept-encoding": "br" } });
  assert.equal(res.headers.get("content-type"), "application/wasm");
  // And the policy does bite: an inline script is refused.
  const { context, page } = await open();
  await page.goto(`${server.url}/checkout.html?now=${T0}`);
  await page.waitForSelector("html[data-tactful-ready]");
  await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__inline = true";
    document.head.append(s);
  });
  assert.equal(await page.evaluate(() => window.__inline), undefined);
  assert.ok((await page.evaluate(() => window.__violations)).some((v) => v.startsWith("script-src")));
  await context.close();
});

test("a corrupted localStorage value leaves the page working, with fresh memory and a warning", async () => {
  const { context, page, log } = await open({
    init: () => {
      if (!sessionStorage.getItem("seeded")) {
        sessionStorage.setItem("seeded", "1");
        localStorage.setItem("tactful:memory", "%%% not memory %%%");
      }
    },
  });
  await visit(page, `/checkout.html?now=${T0}&shopper=demo-shopper-7`);
  await page.waitForSelector(".tactful-card");
  assert.deepEqual(await offersShown(page), ["creator-toolkit"]);
  const warnings = await page.evaluate(() => window.tactfulDemo.widget.warnings);
  assert.ok(warnings.some((w) => w.code === "memory.not_base64"), JSON.stringify(warnings));
  assert.ok(log.console.some((line) => line.startsWith("warning: tactful: localStorage held unreadable memory")), log.console.join("\n"));
  const stored = await page.evaluate(() => localStorage.getItem("tactful:memory"));
  assert.match(stored, /^[A-Za-z0-9_-]+$/, "fresh memory was written in its place");
  // Damaged bytes that are valid base64url: also fresh memory and a warning.
  await page.evaluate(() => localStorage.setItem("tactful:memory", "AQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAP__"));
  await visit(page, `/checkout.html?now=${T0 + DAY}&shopper=demo-shopper-7`);
  assert.ok((await page.evaluate(() => window.tactfulDemo.widget.warnings)).some((w) => w.code.startsWith("memory.")));
  assert.ok(await decision(page));
  await clean(page, log);
  await context.close();
});

test("without consent, memory lives for the page only and nothing is written", async () => {
  const { context, page, log } = await open();
  await visit(page, `/checkout.html?now=${T0}&shopper=demo-shopper-7&consent=0`);
  await page.waitForSelector(".tactful-card");
  await waitForReports(page, 1);
  await page.getByRole("button", { name: /No thanks/ }).click();
  assert.equal(await page.locator(".tactful-card").count(), 0);
  assert.ok((await page.evaluate(() => window.tactfulDemo.widget.memory)).length > 0, "the page keeps memory");
  assert.equal(await page.evaluate(() => localStorage.length), 0, "nothing written");
  assert.equal(await page.evaluate(() => document.cookie), "");
  // A reload starts over: the dismissal was for this page only.
  await visit(page, `/checkout.html?now=${T0 + 60_000}&shopper=demo-shopper-7&consent=0`);
  await page.waitForSelector(".tactful-card");
  await clean(page, log);
  await context.close();
});

test("a dismissal counts even when the page is left before the engine has stored it", async () => {
  const { context, page, log } = await open();
  const url = (t) => `/checkout.html?now=${t}&shopper=demo-shopper-7`;
  await visit(page, url(T0));
  await page.waitForSelector(".tactful-card");
  // The engine never answers again on this page, as when the shopper leaves at once: the
  // dismissal can only survive in what the click kept, synchronously, in localStorage.
  await page.evaluate(() => {
    window.tactfulDemo.widget.host.call = () => new Promise(() => {});
  });
  await page.getByRole("button", { name: /No thanks/ }).click();
  const pending = await page.evaluate(() => JSON.parse(localStorage.getItem("tactful:memory:pending")));
  assert.deepEqual(pending.map((e) => [e.type, e.offerId]), [["dismiss", "creator-toolkit"]]);
  await visit(page, url(T0 + 60_000));
  assert.deepEqual(await offersShown(page), [], "the next page replayed the dismissal");
  assert.equal((await decision(page)).leftOut.find((l) => l.offerId === "creator-toolkit")?.reason, "cooling_down");
  assert.equal(await page.evaluate(() => localStorage.getItem("tactful:memory:pending")), null, "and stored it");
  await clean(page, log);
  await context.close();
});

test("an impression is recorded only when the card is visible", async () => {
  const { context, page, log } = await open({ viewport: { width: 1280, height: 200 } });
  await visit(page, `/checkout.html?now=${T0}&shopper=demo-shopper-7`);
  await page.waitForSelector(".tactful-card", { state: "attached" });
  await page.waitForTimeout(300);
  assert.deepEqual(await reports(page), [], "below the fold: no exposure yet");
  assert.equal(await page.evaluate(() => localStorage.getItem("tactful:memory")), "Au5ZeMo9nQEAAAA", "no impression in memory (one decision, bound to the sample store)");
  await page.locator(".tactful-card").scrollIntoViewIfNeeded();
  await waitForReports(page, 1);
  // The impression reaches localStorage when the worker has answered the record request, a
  // few ms after the exposure is reported (at once, from the same callback).
  const recorded = await page
    .waitForFunction(() => localStorage.getItem("tactful:memory") !== "Au5ZeMo9nQEAAAA", null, { timeout: 5_000 })
    .then(() => true, () => false);
  assert.ok(recorded, "the impression is in memory");
  await clean(page, log);
  await context.close();
});

test("reduced motion is honoured", async () => {
  for (const [reducedMotion, animation] of [["reduce", "none"], ["no-preference", "tactful-in"]]) {
    const { context, page } = await open({ reducedMotion });
    await visit(page, `/checkout.html?now=${T0}&shopper=demo-shopper-7`);
    await page.waitForSelector(".tactful-card");
    assert.equal(await page.$eval(".tactful-card", (e) => getComputedStyle(e).animationName), animation);
    await context.close();
  }
});

test("two tabs and the edge cookie: memory is merged, no dismissal is lost", async () => {
  const { context, page: first, log } = await open();
  const url = `/checkout.html?now=${T0}&shopper=demo-shopper-7`;
  await visit(first, url);
  const second = await context.newPage();
  await visit(second, url);
  await first.waitForSelector(".tactful-card");
  await first.getByRole("button", { name: /No thanks/ }).click();
  // The second tab, still showing its card, records an impression and writes: the merge keeps
  // the first tab's dismissal.
  await second.bringToFront();
  await second.locator(".tactful-card").scrollIntoViewIfNeeded();
  await second.waitForFunction(() => window.tactfulDemo.reports.length >= 1);
  await second.getByRole("button", { name: /^Add / }).click();
  await visit(first, `/checkout.html?now=${T0 + 5 * DAY}&shopper=demo-shopper-7`);
  const left = (await decision(first)).leftOut.find((l) => l.offerId === "creator-toolkit");
  assert.equal(left?.reason, "already_bought", "the accept from the second tab is there");
  // The dismissal is too: a memory holding both reads as dismissed once (3-day cooldown passed).
  // An edge cookie is merged on load as well.
  const edge = await first.evaluate(() => localStorage.getItem("tactful:memory"));
  await context.clearCookies();
  await first.evaluate(() => localStorage.clear());
  await context.addCookies([{ name: "tactful_mem", value: edge, url: server.url }]);
  await visit(first, `/checkout.html?now=${T0 + 5 * DAY}&shopper=demo-shopper-7`);
  assert.equal((await decision(first)).leftOut.find((l) => l.offerId === "creator-toolkit")?.reason, "already_bought", "the cookie's memory was read");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("the edge cookie is kept in step only when the page arrived with one", async () => {
  const url = `/checkout.html?now=${T0}&shopper=demo-shopper-9`;
  const memoryCookie = async (context) => (await context.cookies()).find((c) => c.name === "tactful_mem")?.value;
  // An edge worker in front: the page arrives with its cookie, and a dismissal here reaches it.
  const { context, page, log } = await open();
  await context.addCookies([{ name: "tactful_mem", value: "AQEAAAA", url: server.url }]);
  await visit(page, url);
  const offerId = await page.locator(".tactful-offer").first().getAttribute("data-offer-id");
  await page.getByRole("button", { name: /No thanks/ }).first().click();
  // The engine answers from its worker a moment after the click.
  await page.waitForFunction(() => !document.cookie.includes("tactful_mem=AQEAAAA"));
  const written = await memoryCookie(context);
  assert.ok(written && written !== "AQEAAAA", `the cookie holds the dismissal: ${written}`);
  // Only the cookie now: the next page view reads the dismissal from it.
  await page.evaluate(() => localStorage.clear());
  await visit(page, `/checkout.html?now=${T0 + 60_000}&shopper=demo-shopper-9`);
  assert.equal((await decision(page)).leftOut.find((l) => l.offerId === offerId)?.reason, "cooling_down");
  assert.deepEqual(log.errors, []);
  await context.close();
  // No edge worker: the embed writes no cookie of its own.
  const bare = await open();
  await visit(bare.page, url);
  await bare.page.getByRole("button", { name: /No thanks/ }).first().click();
  await bare.page.waitForFunction(() => /^[A-Za-z0-9_-]{12,}$/.test(localStorage.getItem("tactful:memory") ?? ""));
  assert.equal(await memoryCookie(bare.context), undefined);
  await bare.context.close();
});

test("without a Worker, or with one that fails or never answers, the engine runs on the main thread, with a warning", async () => {
  const cases = [
    { name: "no Worker", init: () => delete window.Worker, query: "", code: "embed.no_worker" },
    { name: "a worker script that is not there", query: "&worker=/test-out/no-such-worker.js", code: "embed.worker_failed" },
    { name: "a worker that never answers", query: "&worker=/test-out/silent-worker.js&workerTimeout=400", code: "embed.worker_timeout" },
  ];
  for (const { name, init, query, code } of cases) {
    const { context, page, log } = await open({ init });
    const started = Date.now();
    await visit(page, `/checkout.html?now=${T0}&shopper=demo-shopper-7${query}`);
    await page.waitForSelector(".tactful-card");
    assert.ok(Date.now() - started < 10_000, `${name}: the page did not wait long`);
    assert.deepEqual(await offersShown(page), ["creator-toolkit"], name);
    assert.equal(await page.evaluate(() => window.tactfulDemo.widget.thread), "main", name);
    const warnings = await page.evaluate(() => window.tactfulDemo.widget.warnings);
    assert.deepEqual(warnings.filter((w) => w.code.startsWith("embed.")).map((w) => w.code), [code], `${name}: ${JSON.stringify(warnings)}`);
    assert.ok(log.console.some((line) => line.startsWith("warning: tactful:") && line.endsWith(`[${code}]`)), log.console.join("\n"));
    // Memory works there too: a dismissal is written and keeps the offer away after a reload.
    await waitForReports(page, 1);
    await page.getByRole("button", { name: /No thanks/ }).click();
    await page.waitForFunction(() => /^[A-Za-z0-9_-]{12,}$/.test(localStorage.getItem("tactful:memory") ?? "") && window.tactfulDemo.widget.memory === localStorage.getItem("tactful:memory"));
    await visit(page, `/checkout.html?now=${T0 + DAY}&shopper=demo-shopper-7${query}`);
    assert.deepEqual(await offersShown(page), [], `${name}: the dismissal was kept`);
    assert.equal((await decision(page)).leftOut.find((l) => l.offerId === "creator-toolkit")?.reason, "cooling_down");
    await clean(page, log);
    await context.close();
  }
});

test("the worker's errors arrive as the same typed errors as the main thread's", async () => {
  const { context, page, log } = await open();
  await visit(page, `/checkout.html?now=${T0}&shopper=demo-shopper-7`);
  const outcomes = await page.evaluate(async () => {
    const { mount } = await import("/pkg/embed/embed.js");
    const describe = (e) => [e instanceof Error, e.name, e.code, e.path ?? null, typeof e.message === "string" && e.message.length > 0];
    const slot = document.createElement("div");
    document.body.append(slot);
    const out = {};
    for (const worker of [undefined, false]) {
      const seen = { thread: null, context: [], snapshot: [] };
      const base = { slot, shopperKey: "errors", consent: false, dataLayer: false, worker };
      const widget = await mount({ ...base, snapshot: "/out/inkwell-studio.snap", context: { colour: "red" }, onError: (e) => seen.context.push(describe(e)) });
      seen.thread = widget.thread;
      seen.decision = widget.decision;
      widget.destroy();
      for (const snapshot of [new Uint8Array([1, 2, 3, 4]), "/out/no-such.snap", 42]) {
        await mount({ ...base, snapshot }).then(() => seen.snapshot.push("mounted"), (e) => seen.snapshot.push(describe(e)));
      }
      out[worker === false ? "main" : "worker"] = seen;
    }
    slot.remove();
    return out;
  });
  assert.equal(outcomes.worker.thread, "worker");
  assert.equal(outcomes.main.thread, "main");
  assert.deepEqual(outcomes.worker.context, [[true, "ContextError", "context.json", "colour", true]]);
  assert.equal(outcomes.worker.decision, null, "a refused context leaves no decision");
  assert.deepEqual(outcomes.worker.snapshot.map((e) => e.slice(0, 3)), [[true, "SnapshotError", outcomes.worker.snapshot[0][2]], [true, "EmbedError", "embed.snapshot_fetch"], [true, "EmbedError", "embed.no_snapshot"]]);
  assert.match(outcomes.worker.snapshot[0][2], /^snapshot\./);
  assert.deepEqual(outcomes.worker, { ...outcomes.main, thread: "worker" }, "the same errors from both threads");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a thank-you page's purchase counts once, however often it is reloaded", async () => {
  // The quiet period after a purchase (2 hours on checkout) runs from when the purchase was
  // recorded: recording it again on a reload would move its end.
  const quietUntil = async (page) => {
    await page.waitForFunction(() => window.tactfulDemo?.widget?.decision);
    const left = (await decision(page)).leftOut.filter((l) => l.reason === "quiet_period");
    assert.ok(left.length > 0, "the quiet period after the purchase holds");
    return left[0].until;
  };
  const { context, page, log } = await open({
    init: () => {
      const id = new URLSearchParams(location.search).get("transaction");
      window.dataLayer = [{ event: "purchase", ecommerce: { transaction_id: id, items: [{ item_id: "pack-starter" }] } }];
    },
  });
  const HOUR = 3_600_000;
  await visit(page, `/checkout.html?now=${T0}&shopper=demo-shopper-7&transaction=T-1`);
  assert.equal(await quietUntil(page), T0 + 2 * HOUR);
  await visit(page, `/checkout.html?now=${T0 + HOUR / 2}&shopper=demo-shopper-7&transaction=T-1`);
  assert.equal(await quietUntil(page), T0 + 2 * HOUR, "the reload did not record the purchase again");
  await visit(page, `/checkout.html?now=${T0 + HOUR}&shopper=demo-shopper-7&transaction=T-2`);
  assert.equal(await quietUntil(page), T0 + 3 * HOUR, "a new transaction is a new purchase");
  assert.deepEqual(log.errors, []);
  await context.close();
});

/** Each GA4 ecommerce entry the page's dataLayer holds, from `{ ecommerce: null }` on. */
const promotions = (page) =>
  page.evaluate(() => window.dataLayer.filter((e) => e.ecommerce === null || /_promotion$/.test(e.event ?? "")));

test("reports are the log records: exposure, accept and dismiss as www/docs/logs.md has them, the CLI's bytes", async () => {
  const { context, page, log } = await open();
  await visit(page, `/checkout.html?now=${T0}&shopper=demo-shopper-7&reset=1`);
  await page.waitForSelector(".tactful-card");
  await waitForReports(page, 1);
  const [exposure] = await reports(page);
  assert.deepEqual(Object.keys(exposure), ["type", "v", "decisionId", "snapshotId", "surface", "at", "shopperKey", "currency", "holdout", "play", "explored", "propensity", "offers"]);
  assert.deepEqual(Object.keys(exposure.offers[0]), ["offerId", "position", "frame", "price", "finalPrice", "margin", "score", "propensity"]);
  assert.equal(exposure.shopperKey, "demo-shopper-7");
  // The same bytes `tactful decide --log` appends for the context and memory decided from.
  const [inputs, memory] = await page.evaluate(() => window.tactfulDemo.widget.inputs);
  const dir = join(root, "target/browser-tests");
  const file = join(dir, `exposure-${process.pid}.jsonl`);
  rmSync(file, { force: true });
  execFileSync(join(root, "target/release/tactful"), [
    "decide", join(root, "out/inkwell-studio.snap"), "--context", "-", "--memory", memory, "--log", file,
  ], { input: JSON.stringify(inputs), stdio: ["pipe", "ignore", "pipe"] });
  assert.equal(readFileSync(file, "utf8"), `${JSON.stringify(exposure)}\n`);
  await page.getByRole("button", { name: "Add Creator Toolkit Bundle", exact: true }).click();
  await waitForReports(page, 2);
  const accept = (await reports(page))[1];
  assert.deepEqual(Object.keys(accept), ["type", "v", "decisionId", "offerId", "at", "shopperKey"]);
  assert.deepEqual({ ...accept, at: 0 }, { type: "accept", v: 1, decisionId: exposure.decisionId, offerId: "creator-toolkit", at: 0, shopperKey: "demo-shopper-7" });
  assert.deepEqual(await promotions(page), [], "no GA4 event without the ga4 option");
  await clean(page, log);
  await context.close();
});

test("logDecisions: the exposure reported is the decision record, with the context and the memory decided from", async () => {
  const { context, page, log } = await open();
  await visit(page, `/checkout.html?now=${T0}&shopper=demo-shopper-7&reset=1&logDecisions`);
  await page.waitForSelector(".tactful-card");
  await waitForReports(page, 1);
  const [record] = await reports(page);
  assert.equal(record.type, "decision");
  assert.equal(record.v, 1);
  assert.equal(record.memory, "", "a new shopper decides from empty memory");
  assert.equal(record.context.now, record.at);
  assert.equal(record.context.shopperKey, "demo-shopper-7");
  assert.deepEqual(record.context.cart, ["course-foundations"]);
  assert.ok(record.context.events.some((e) => e.name === "begin_checkout"), "the signals it read");
  await clean(page, log);
  await context.close();
});

test("ga4: view_promotion when the exposure is reported and select_promotion on accept land in the dataLayer with GA4's fields", async () => {
  const { context, page, log } = await open();
  await visit(page, `/checkout.html?now=${T0}&shopper=demo-shopper-7&reset=1&ga4`);
  await page.waitForSelector(".tactful-card");
  await waitForReports(page, 1);
  const item = {
    item_id: "creator-toolkit", item_name: "Creator Toolkit Bundle", price: 49, discount: 0, quantity: 1, creative_name: "completeness",
  };
  const ecommerce = (items) => ({ promotion_id: "tactful-checkout", promotion_name: "tactful", creative_slot: "checkout", currency: "USD", items });
  assert.deepEqual(await promotions(page), [{ ecommerce: null }, { event: "view_promotion", ecommerce: ecommerce([item]) }]);
  assert.deepEqual(await promotions(page), JSON.parse(snippet("log-ga4").code), "what www/docs/logs.md shows");
  const decisions = await page.evaluate(() => window.tactfulDemo.decisions.length);
  await page.getByRole("button", { name: "Add Creator Toolkit Bundle", exact: true }).click();
  await page.waitForSelector(".tactful-status");
  assert.deepEqual((await promotions(page)).slice(2), [{ ecommerce: null }, { event: "select_promotion", ecommerce: ecommerce([item]) }]);
  // The widget's own events are not signals it decides on again.
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.tactfulDemo.decisions.length), decisions, "no decision from its own events");
  await clean(page, log);
  await context.close();
});

test("ga4: a holdout shopper's exposure pushes nothing", async () => {
  const { context, page, log } = await open();
  await visit(page, `/checkout.html?now=${T0}&shopper=shopper-25&reset=1&ga4`);
  assert.equal((await decision(page)).holdout, true, "shopper-25 is in the holdout");
  await waitForReports(page, 1);
  assert.equal((await reports(page))[0].holdout, true);
  assert.deepEqual(await promotions(page), []);
  await clean(page, log);
  await context.close();
});
