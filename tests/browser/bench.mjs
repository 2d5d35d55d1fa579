// The embed's cost to the page, measured in headless Chromium with 4x CPU throttling, and the
// same figures for a comparable widget from the registry (Algolia Recommend's
// frequently-bought-together widget). Each run is a fresh browser context (cold cache) on a bare
// checkout page whose only script is the widget; the median of RUNS runs is printed.
//
//   main-thread time  the renderer main thread's busy time (top-level tasks, from a Chrome
//                     trace) from the page's HTML arriving to the frame that paints the offer
//   long tasks        main-thread tasks over 50 ms in that window and the second after it
//   bytes             what was transferred for the widget: JS, wasm, snapshot (compressed
//                     by the server, brotli, as a CDN serves them)
//   layout shift      the page's CLS (layout-shift entries without recent input)
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./harness.mjs";
import { startServer, DEFAULT_MOUNTS } from "../../www/serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const THROTTLE = 4;

const mounts = {
  ...DEFAULT_MOUNTS,
  "/bench/": join(here, "pages"),
  "/peer/": join(here, "node_modules/@algolia"),
};

const PEER_RESPONSE = JSON.stringify({
  results: [{
    hits: [{
      objectID: "creator-toolkit",
      name: "Creator Toolkit Bundle",
      copy: "Brushes, portfolio layouts and social templates: the whole toolkit for $49.",
      price: 49,
      _score: 92.4,
    }],
    nbHits: 1, page: 0, nbPages: 1, hitsPerPage: 1, processingTimeMS: 1, params: "", exhaustiveNbHits: true, query: "",
  }],
});

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Busy time of the renderer main thread that painted the page, from a Chrome trace: top-level
 * tasks from the first task touching the widget's first script (`first`, a URL suffix) to the
 * end of the task that paints after the `tactful:rendered` mark. Scripts the harness itself
 * evaluates (playwright's injected script, which has no URL) are taken out.
 */
function analyse(trace, first) {
  const events = JSON.parse(trace).traceEvents;
  const rendered = events.find((e) => e.name === "tactful:rendered" && e.cat?.includes("blink.user_timing"));
  if (!rendered) throw new Error("no tactful:rendered mark in the trace");
  const main = events.find((e) => e.ph === "M" && e.name === "thread_name" && e.args?.name === "CrRendererMain" && e.pid === rendered.pid);
  const onMain = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X");
  const tasks = onMain
    .filter((e) => (e.name === "RunTask" || e.name === "ThreadControllerImpl::RunTask") && e.dur > 0)
    .map((e) => [e.ts, e.ts + e.dur])
    .sort((a, b) => a[0] - b[0]);
  // Top-level only: merge nested or overlapping intervals.
  const busy = [];
  for (const [s, e] of tasks) {
    const last = busy.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else busy.push([s, e]);
  }
  const harness = onMain.filter((e) => e.name === "EvaluateScript" && !e.args?.data?.url).map((e) => [e.ts, e.ts + e.dur]);
  const touching = onMain.filter((e) => String(e.args?.data?.url ?? "").endsWith(first)).sort((a, b) => a.ts - b.ts)[0];
  if (!touching) throw new Error(`no main-thread event for ${first}`);
  const startTask = busy.find(([s, e]) => s <= touching.ts && touching.ts <= e);
  const start = startTask ? startTask[0] : touching.ts;
  const paint = onMain.filter((e) => (e.name === "Paint" || e.name === "PrePaint" || e.name === "Commit") && e.ts >= rendered.ts).sort((a, b) => a.ts - b.ts)[0];
  const paintTask = paint ? busy.find(([s, e]) => s <= paint.ts && paint.ts <= e) : null;
  const end = paintTask ? paintTask[1] : rendered.ts;
  const overlap = ([s, e], from, to) => Math.max(0, Math.min(e, to) - Math.max(s, from));
  let mainThread = 0;
  let longest = 0;
  const long = [];
  for (const task of busy) {
    const own = (task[1] - task[0]) - harness.reduce((sum, h) => sum + overlap(h, task[0], task[1]), 0);
    const inWindow = overlap(task, start, end) - harness.reduce((sum, h) => sum + overlap(h, Math.max(task[0], start), Math.min(task[1], end)), 0);
    mainThread += Math.max(0, inWindow);
    if (task[1] > start && task[0] < end + 1_000_000) {
      longest = Math.max(longest, own);
      if (own > 50_000) long.push(own / 1000);
    }
  }
  return { mainThreadMs: mainThread / 1000, wallMs: (end - start) / 1000, longestTaskMs: longest / 1000, longTasks: long };
}

async function measure(browser, url, kind) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(() => {
    window.__cls = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
    }).observe({ type: "layout-shift", buffered: true });
  });
  const page = await context.newPage();
  if (kind === "peer") {
    await page.route(/algolia\.(net|com)/, (route) => route.fulfill({
      status: 200,
      contentType: "application/json; charset=UTF-8",
      headers: { "access-control-allow-origin": "*" },
      body: PEER_RESPONSE,
    }));
  }
  const cdp = await context.newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: THROTTLE });
  await browser.startTracing(page, {
    categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "blink.user_timing", "loading"],
  });
  await page.goto(url);
  await page.waitForSelector("html[data-rendered]", { timeout: 30_000 });
  await page.waitForTimeout(1_200);
  const trace = (await browser.stopTracing()).toString("utf8");
  const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, m.startTime])));
  const rendered = await page.evaluate(() => document.documentElement.dataset.rendered);
  if (rendered !== "true") throw new Error(`${kind}: no offer rendered`);
  const resources = await page.evaluate(() => performance.getEntriesByType("resource").map((r) => ({
    name: new URL(r.name).pathname, transfer: r.transferSize, encoded: r.encodedBodySize, decoded: r.decodedBodySize,
  })));
  const cls = await page.evaluate(() => window.__cls);
  await context.close();
  return { ...analyse(trace, kind === "tactful" ? "/pkg/embed/embed.js" : "/recommend.umd.js"), cls, resources, marks };
}

function bytesOf(resources, kind) {
  const pick = kind === "tactful"
    ? { js: (p) => p.startsWith("/pkg/") && p.endsWith(".js"), wasm: (p) => p.endsWith(".wasm"), snapshot: (p) => p.endsWith(".snap") }
    : { js: (p) => p.startsWith("/peer/"), api: (p) => p.includes("recommendations") };
  const out = {};
  for (const [what, match] of Object.entries(pick)) {
    const hits = resources.filter((r) => match(r.name));
    out[what] = { encoded: hits.reduce((s, r) => s + r.encoded, 0), transfer: hits.reduce((s, r) => s + r.transfer, 0), files: hits.map((r) => r.name) };
  }
  return out;
}

const server = await startServer({ csp: false, mounts });
const browser = await launch();
const results = {};
try {
  for (const kind of ["tactful", "peer"]) {
    const url = kind === "tactful" ? `${server.url}/bench/tactful.html` : `${server.url}/bench/peer.html`;
    await measure(browser, url, kind); // warm-up: the browser's first page pays for itself
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await measure(browser, url, kind));
    results[kind] = runs;
  }
} finally {
  await browser.close();
  await server.close();
}

const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
const ms = (n) => `${n.toFixed(1)} ms`;
console.log(`\nCost to the page: headless Chromium, CPU throttled ${THROTTLE}x, cold cache, median of ${RUNS} runs`);
for (const [kind, runs] of Object.entries(results)) {
  const bytes = bytesOf(runs[0].resources, kind);
  const total = Object.values(bytes).reduce((s, b) => s + b.encoded, 0);
  const name = kind === "tactful" ? "tactful embed (sample store)" : "Algolia Recommend frequentlyBoughtTogether (@algolia/recommend-js 1.16.0 + @algolia/recommend 4)";
  console.log(`\n${name}`);
  console.log(`  main-thread time to the rendered offer  ${ms(median(runs.map((r) => r.mainThreadMs)))}  (range ${ms(Math.min(...runs.map((r) => r.mainThreadMs)))}–${ms(Math.max(...runs.map((r) => r.mainThreadMs)))}; wall ${ms(median(runs.map((r) => r.wallMs)))})`);
  console.log(`  longest main-thread task                ${ms(median(runs.map((r) => r.longestTaskMs)))}  (long tasks over 50 ms, all runs: ${runs.flatMap((r) => r.longTasks).map((t) => t.toFixed(0)).join(", ") || "none"})`);
  for (const [what, b] of Object.entries(bytes)) console.log(`  bytes, ${what.padEnd(9)} ${kb(b.encoded).padStart(9)} compressed body (${kb(b.transfer)} with headers)  ${b.files.join(" ")}`);
  console.log(`  bytes, total     ${kb(total).padStart(9)} compressed`);
  console.log(`  layout shift (CLS)                      ${median(runs.map((r) => r.cls)).toFixed(4)}`);
  if (kind === "tactful") {
    const span = (a, b) => median(runs.map((r) => r.marks[b] - r.marks[a]));
    console.log(`  in the page: module and snapshot ready → decided ${ms(span("tactful:loaded", "tactful:decided"))}, decided → card in the DOM ${ms(span("tactful:decided", "tactful:rendered"))}, mount() → loaded ${ms(span("tactful:start", "tactful:loaded"))} (wall, includes downloads)`);
  }
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(results, (k, v) => (k === "resources" ? undefined : v)));
