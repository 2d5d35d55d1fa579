// The embed's cost to the page, measured in headless Chromium with 4x CPU throttling, and the
// same figures for a comparable widget from the registry (Algolia Recommend's
// frequently-bought-together widget) and for two floors: the same page whose only script writes a
// fixed card (pages/bare.js), and the same again once a Worker that does nothing else has
// answered (bare.js?worker), the floor of any widget that decides in a worker; and the embed
// with its engine on the page's main thread (tactful.js?main, `worker: false`), so the two
// places for the engine are measured in the same run. Each run is a
// fresh browser context (cold cache) on a bare checkout page (pages/checkout.html) whose only
// script is the widget; the median of RUNS runs is printed. The page starts the widget's
// scripts once it has painted its first frame (pages/after-paint.js).
//
//   main-thread time  the renderer main thread's busy time (top-level tasks, from a Chrome
//                     trace) from the script's start (the task that asks for the widget's
//                     first script) to the end of the frame that paints the offer
//   whole page        the same from the page's HTML arriving: the page's own parse and first
//                     frame as well; the floor's figure is what the page costs with no widget
//   long tasks        main-thread tasks over 50 ms in that window and the second after it
//   worker time       the same busy time on the page's dedicated worker threads (where the
//                     embed runs its engine), in the same window: not main-thread time
//   bytes             what was transferred for the widget: JS, wasm, snapshot (compressed
//                     by the server, brotli, as a CDN serves them; from the server's log,
//                     so the worker's requests count too)
//   layout shift      the page's CLS (layout-shift entries without recent input)
//   repeat visit      the main-thread time again on a third visit in the same browser context
//                     (HTTP and code caches warm; localStorage and cookies cleared, so the
//                     shopper and the decision are the same as in the cold runs)
//
// BENCH_TRACES=dir keeps each run's Chrome trace (open it in DevTools' Performance panel);
// BENCH_KINDS=tactful,tactful-main measures only those (in alternation when BENCH_ROUNDS > 1).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./harness.mjs";
import { startServer, DEFAULT_MOUNTS } from "../../www/serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const THROTTLE = 4;
/** Visits before a measured repeat visit: V8 writes a script's code cache on its second run. */
const REPEAT_AFTER = 2;
let traced = 0;
if (process.env.BENCH_TRACES) mkdirSync(process.env.BENCH_TRACES, { recursive: true });

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
 * tasks from the first task touching the widget's first script (`first`, a path suffix) to the
 * end of the task that paints after the `tactful:rendered` mark. Tasks that are not the page's
 * are left out: the harness's own (playwright's DevTools commands, such as its evaluations)
 * and another page's (the renderer is shared; a task naming only other frames). The page's
 * dedicated workers are measured apart, same window. `pagePath` is the page's URL path.
 */
function analyse(trace, first, pagePath) {
  const events = JSON.parse(trace).traceEvents;
  const rendered = events.find((e) => e.name === "tactful:rendered" && e.cat?.includes("blink.user_timing"));
  if (!rendered) throw new Error("no tactful:rendered mark in the trace");
  const frame = events.find((e) => e.name === "FrameCommittedInBrowser" && path(e.args?.data?.url) === pagePath)?.args.data.frame;
  if (!frame) throw new Error(`no frame for ${pagePath} in the trace`);
  const main = events.find((e) => e.ph === "M" && e.name === "thread_name" && e.args?.name === "CrRendererMain" && e.pid === rendered.pid);
  const onMain = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X").sort((a, b) => a.ts - b.ts);
  const frameOf = (e) => e.args?.data?.frame ?? e.args?.beginData?.frame ?? e.args?.frame;
  const whose = (inside) => {
    if (inside.some((e) => e.args?.chrome_mojo_event_info?.mojo_interface_tag === "blink.mojom.DevToolsSession")) return "harness";
    const frames = new Set(inside.map(frameOf).filter(Boolean));
    return frames.size && !frames.has(frame) ? "other page" : "page";
  };
  let cursor = 0;
  const busy = busyTime(onMain).map(([s, e]) => {
    while (cursor < onMain.length && onMain[cursor].ts < s) cursor++;
    const inside = [];
    for (let i = cursor; i < onMain.length && onMain[i].ts <= e; i++) inside.push(onMain[i]);
    return [s, e, whose(inside)];
  });
  const workerThreads = events.filter((e) => e.ph === "M" && e.name === "thread_name" && e.pid === main.pid && /^DedicatedWorker/.test(e.args?.name ?? ""));
  const workerBusy = workerThreads.flatMap((t) => busyTime(events.filter((e) => e.pid === t.pid && e.tid === t.tid && e.ph === "X")));
  const taskStart = (event) => busy.find(([s, e]) => s <= event.ts && event.ts <= e)?.[0] ?? event.ts;
  const touching = onMain.find((e) => path(e.args?.data?.url).endsWith(first));
  if (!touching) throw new Error(`no main-thread event for ${first}`);
  const start = taskStart(touching);
  const parsing = onMain.find((e) => e.name === "ParseHTML" && path(e.args?.beginData?.url) === pagePath);
  if (!parsing) throw new Error(`no ParseHTML for ${pagePath} in the trace`);
  const pageStart = taskStart(parsing);
  const paints = onMain.filter((e) => (e.name === "Paint" || e.name === "PrePaint" || e.name === "Commit") && e.ts >= rendered.ts);
  const paintTask = paints.map((p) => busy.find(([s, e]) => s <= p.ts && p.ts <= e)).find((task) => task?.[2] === "page");
  const end = paintTask ? paintTask[1] : rendered.ts;
  const overlap = ([s, e], from, to) => Math.max(0, Math.min(e, to) - Math.max(s, from));
  let mainThread = 0;
  let page = 0;
  let leftOut = 0;
  let longest = 0;
  const long = [];
  for (const task of busy) {
    const inWindow = overlap(task, start, end);
    if (task[2] !== "page") {
      leftOut += inWindow;
      continue;
    }
    mainThread += inWindow;
    page += overlap(task, pageStart, end);
    if (task[1] > start && task[0] < end + 1_000_000) {
      const own = task[1] - task[0];
      longest = Math.max(longest, own);
      if (own > 50_000) long.push(own / 1000);
    }
  }
  let workerMs = 0;
  for (const task of workerBusy) workerMs += overlap(task, start, end);
  return { mainThreadMs: mainThread / 1000, pageMs: page / 1000, leftOutMs: leftOut / 1000, workerMs: workerMs / 1000, workers: workerThreads.length, wallMs: (end - start) / 1000, longestTaskMs: longest / 1000, longTasks: long };
}

/** A URL's path, or "" for what is not a URL. */
function path(url) {
  return URL.canParse(url) ? new URL(url).pathname : "";
}

/** A thread's top-level tasks as [start, end] intervals, nested and overlapping ones merged. */
function busyTime(onThread) {
  const tasks = onThread
    .filter((e) => (e.name === "RunTask" || e.name === "ThreadControllerImpl::RunTask") && e.dur > 0)
    .map((e) => [e.ts, e.ts + e.dur])
    .sort((a, b) => a[0] - b[0]);
  const busy = [];
  for (const [s, e] of tasks) {
    const last = busy.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else busy.push([s, e]);
  }
  return busy;
}

async function measure(browser, url, kind, { visitsBefore = 0 } = {}) {
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
  // The page says it has rendered on its console: waiting with a selector would have the harness
  // inject its 330 kB utility script into the page's main thread in the middle of the window.
  const rendering = () => page.waitForEvent("console", { predicate: (m) => m.text() === "bench:rendered", timeout: 30_000 });
  for (let visit = 0; visit < visitsBefore; visit++) {
    const done = rendering();
    await page.goto(url);
    await done;
    await page.waitForTimeout(500); // the browser writes its code caches after the page has run
    // A repeat visit of a new shopper: the caches stay, the memory and the cookies go.
    await page.evaluate(() => localStorage.clear());
    await context.clearCookies();
  }
  const logged = server.requests.length;
  const cdp = await context.newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: THROTTLE });
  await browser.startTracing(page, {
    categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "blink.user_timing", "loading"],
  });
  const done = rendering();
  await page.goto(url);
  await done;
  await page.waitForTimeout(1_200);
  const trace = (await browser.stopTracing()).toString("utf8");
  if (process.env.BENCH_TRACES) writeFileSync(join(process.env.BENCH_TRACES, `${kind}-${++traced}.json`), trace);
  const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, m.startTime])));
  const rendered = await page.evaluate(() => document.documentElement.dataset.rendered);
  if (rendered !== "true") throw new Error(`${kind}: no offer rendered`);
  // The server's log, not the page's resource timing, which misses what a worker fetched.
  const resources = server.requests.slice(logged).filter((r) => r.status === 200).map((r) => ({ name: r.path, encoded: r.bytes }));
  const cls = await page.evaluate(() => window.__cls);
  await context.close();
  return { ...analyse(trace, FIRST_SCRIPT[kind], new URL(url).pathname), cls, resources, marks };
}

/** Each widget's scripts, as the bench page's query (pages/after-paint.js starts them). */
const WIDGETS = {
  tactful: "type=module&scripts=/bench/tactful.js",
  "tactful-main": "type=module&scripts=/bench/tactful.js?main",
  peer: "scripts=/peer/recommend/dist/recommend.umd.js,/peer/recommend-js/dist/umd/index.js,/bench/peer.js",
  bare: "type=module&scripts=/bench/bare.js",
  "bare-worker": "type=module&scripts=/bench/bare.js?worker",
};

/** Each page's first script of its own: where its main-thread window starts. */
const FIRST_SCRIPT = { tactful: "/bench/tactful.js", "tactful-main": "/bench/tactful.js", peer: "/recommend.umd.js", bare: "/bench/bare.js", "bare-worker": "/bench/bare.js" };
const NAMES = {
  tactful: "tactful embed (sample store), engine in its Worker",
  "tactful-main": "tactful embed (sample store), engine on the main thread (worker: false)",
  peer: "Algolia Recommend frequentlyBoughtTogether (@algolia/recommend-js 1.16.0 + @algolia/recommend 4)",
  bare: "the floor: the same page, its only script writing a fixed card",
  "bare-worker": "the floor with a worker: the same card, written when a Worker that does nothing else has answered",
};

function bytesOf(resources, kind) {
  const embed = { js: (p) => p.startsWith("/pkg/") && p.endsWith(".js"), wasm: (p) => p.endsWith(".wasm"), snapshot: (p) => p.endsWith(".snap") };
  const pick = {
    tactful: embed,
    "tactful-main": embed,
    peer: { js: (p) => p.startsWith("/peer/") }, // its API's answer comes from the harness, not the server
    bare: { js: (p) => p === "/bench/bare.js" },
    "bare-worker": { js: (p) => p === "/bench/bare.js" || p === "/bench/empty-worker.js" },
  }[kind];
  const out = {};
  for (const [what, match] of Object.entries(pick)) {
    const hits = resources.filter((r) => match(r.name));
    out[what] = { encoded: hits.reduce((s, r) => s + r.encoded, 0), files: hits.map((r) => r.name) };
  }
  return out;
}

// Cacheable, as a CDN serves versioned assets: a cold run has a fresh context (empty cache), and
// a repeat visit finds the scripts, the .wasm and the browser's code caches for them.
const server = await startServer({ csp: false, mounts, cacheControl: "public, max-age=3600" });
const browser = await launch();
const results = {};
const repeated = {};
const KINDS = process.env.BENCH_KINDS?.split(",") ?? ["tactful", "tactful-main", "peer", "bare", "bare-worker"];
const unknown = KINDS.filter((k) => !WIDGETS[k]);
if (unknown.length) throw new Error(`BENCH_KINDS: unknown ${unknown.join(", ")} (known: ${Object.keys(WIDGETS).join(", ")})`);
// Rounds alternate the kinds, so a machine that gets busier midway moves every kind alike.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of KINDS) {
      const url = `${server.url}/bench/checkout.html?${WIDGETS[kind]}`;
      await measure(browser, url, kind); // warm-up: the browser's first page pays for itself
      for (let i = 0; i < RUNS; i++) (results[kind] ??= []).push(await measure(browser, url, kind));
      for (let i = 0; i < RUNS; i++) (repeated[kind] ??= []).push(await measure(browser, url, kind, { visitsBefore: REPEAT_AFTER }));
    }
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
  const name = NAMES[kind];
  console.log(`\n${name}`);
  console.log(`  main-thread time to the rendered offer  ${ms(median(runs.map((r) => r.mainThreadMs)))}  (range ${ms(Math.min(...runs.map((r) => r.mainThreadMs)))}–${ms(Math.max(...runs.map((r) => r.mainThreadMs)))}; wall ${ms(median(runs.map((r) => r.wallMs)))})`);
  console.log(`  the whole page's main thread, HTML to offer ${ms(median(runs.map((r) => r.pageMs)))}  (range ${ms(Math.min(...runs.map((r) => r.pageMs)))}–${ms(Math.max(...runs.map((r) => r.pageMs)))}; includes the page's own parse and first frame)`);
  console.log(`  left out: the harness's and other pages' tasks in that window ${ms(median(runs.map((r) => r.leftOutMs)))}`);
  console.log(`  worker threads' busy time, same window    ${ms(median(runs.map((r) => r.workerMs)))}  (range ${ms(Math.min(...runs.map((r) => r.workerMs)))}–${ms(Math.max(...runs.map((r) => r.workerMs)))}; workers: ${[...new Set(runs.map((r) => r.workers))].join(", ")})`);
  console.log(`  longest main-thread task                ${ms(median(runs.map((r) => r.longestTaskMs)))}  (long tasks over 50 ms, all runs: ${runs.flatMap((r) => r.longTasks).map((t) => t.toFixed(0)).join(", ") || "none"})`);
  for (const [what, b] of Object.entries(bytes)) console.log(`  bytes, ${what.padEnd(9)} ${kb(b.encoded).padStart(9)} compressed body  ${b.files.join(" ")}`);
  console.log(`  bytes, total     ${kb(total).padStart(9)} compressed`);
  console.log(`  layout shift (CLS)                      ${median(runs.map((r) => r.cls)).toFixed(4)}`);
  const again = repeated[kind];
  console.log(`  repeat visit (visit ${REPEAT_AFTER + 1}, caches warm, memory cleared): main-thread ${ms(median(again.map((r) => r.mainThreadMs)))} (range ${ms(Math.min(...again.map((r) => r.mainThreadMs)))}–${ms(Math.max(...again.map((r) => r.mainThreadMs)))}), longest task ${ms(median(again.map((r) => r.longestTaskMs)))}, long tasks: ${again.flatMap((r) => r.longTasks).map((t) => t.toFixed(0)).join(", ") || "none"}`);
  if (kind.startsWith("tactful")) {
    const span = (a, b) => median(runs.map((r) => r.marks[b] - r.marks[a]));
    console.log(`  in the page: module and snapshot ready → decided ${ms(span("tactful:loaded", "tactful:decided"))}, decided → card in the DOM ${ms(span("tactful:decided", "tactful:rendered"))}, mount() → loaded ${ms(span("tactful:start", "tactful:loaded"))} (wall, includes downloads)`);
  }
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(results, (k, v) => (k === "resources" ? undefined : v)));
