// `tactful report --html` in real Chromium: one self-contained page (no request leaves it), its
// four charts drawn, and nothing wider than the screen at 1280 and 375 pixels. Screenshots land
// in target/screenshots/report-1280.png and report-375.png for people to look at.
// Needs the release CLI (`./build.sh build`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { launch, root } from "./harness.mjs";

const CLI = join(root, "target/release/tactful");
const SHOTS = join(root, "target/screenshots");
const T0 = 1_763_726_400_000;

/** A week of checkout logs and orders, from a fixed seed: enough for every chart to have data. */
function logs(dir) {
  let state = 7;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const offers = [["creator-toolkit", 4900, "completeness"], ["workbook-addon", 1200, "convenience"], ["starter-brushes", 1900, "cost_efficiency"]];
  const records = [];
  const orders = ["order_id,shopper_key,time,item,revenue,margin"];
  for (let i = 0; i < 3000; i++) {
    const key = `k-${i}`;
    const at = T0 + Math.floor(i / 430) * 86_400_000 + i * 1000;
    const holdout = random() < 0.1;
    const [offerId, price, frame] = offers[Math.floor(random() * offers.length)];
    records.push({ type: "exposure", v: 1, decisionId: `d-${i}`, snapshotId: "inkwell@test", surface: i % 5 === 0 ? "cart" : "checkout", at, shopperKey: key, currency: "USD", holdout, play: i % 7 === 0 ? "assist" : "expand", explored: false, propensity: 1, offers: [{ offerId, position: 0, frame, price, finalPrice: price, margin: price - 200, score: 1, propensity: 1 }] });
    let accepted = false;
    if (!holdout) {
      const r = random();
      accepted = r < 0.15 + (frame === "completeness" ? 0.1 : 0);
      if (accepted || r > 0.7) records.push({ type: accepted ? "accept" : "dismiss", v: 1, decisionId: `d-${i}`, offerId, at: at + 5000, shopperKey: key });
    }
    if (accepted || random() < 0.4) {
      orders.push(`o-${i},${key},${at + 60_000},course-foundations,14900,13400`);
      if (accepted) orders.push(`o-${i},${key},${at + 60_000},${offerId},${price},${price - 200}`);
    }
  }
  writeFileSync(join(dir, "logs.jsonl"), `${records.map((r) => JSON.stringify(r)).join("\n")}\n`);
  writeFileSync(join(dir, "orders.csv"), `${orders.join("\n")}\n`);
}

let browser;
let dir;
let page;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tactful-report-html-"));
  logs(dir);
  execFileSync(CLI, ["report", "logs.jsonl", "--orders", "orders.csv", "--holdout-percent", "10", "--html", "report.html"], { cwd: dir });
  mkdirSync(SHOTS, { recursive: true });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

for (const width of [1280, 375]) {
  test(`the report page at ${width} px: self-contained, four charts, nothing wider than the screen`, async () => {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    page = await context.newPage();
    const requests = [];
    page.on("request", (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(join(dir, "report.html")).href);
    assert.deepEqual(requests.filter((url) => !url.startsWith("file:")), [], "the page fetches nothing");
    const charts = await page.$$eval("figure svg", (svgs) => svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      const labels = [...svg.querySelectorAll("text")].map((t) => t.getBoundingClientRect().height).filter((h) => h > 0);
      return { width: box.width, height: box.height, smallestText: Math.min(...labels), marks: svg.querySelectorAll("line, circle, polyline, path").length, text: svg.textContent };
    }));
    assert.equal(charts.length, 4);
    for (const chart of charts) {
      assert.ok(chart.width > 300 && chart.height > 80, JSON.stringify(chart));
      // Labels stay legible when the chart shrinks to a phone's width.
      assert.ok(chart.smallestText >= 8, `labels ${chart.smallestText} px high`);
      assert.ok(chart.marks > 5, `a chart with marks: ${JSON.stringify(chart)}`);
    }
    assert.match(charts[0].text, /conversion/);
    assert.match(charts[1].text, /creator-toolkit/);
    assert.match(charts[2].text, /completeness/);
    assert.match(charts[3].text, /2025-11-2/);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
    const text = await page.textContent("main");
    assert.match(text, /holdout and \d+ treated shoppers/);
    assert.match(text, /Sample ratio ok/);
    await page.screenshot({ path: join(SHOTS, `report-${width}.png`), fullPage: true });
    await context.close();
  });
}
