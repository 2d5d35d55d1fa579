// The edge worker's benchmark (`./build.sh bench`): what tactful costs a storefront page at
// the edge, on real workerd, under a bounded local load (autocannon, 127.0.0.1 only).
//
// One workerd runs the `bench` config: the same worker with tactful (socket `http`) and with
// tactful off, a plain proxy (socket `passthrough`), in front of one origin process. Both get
// the same requests: 500 returning shoppers with their cookies, rotating over the checkout,
// cart and product pages. The two are measured in turn, twice each (ABAB), so a drift of this
// shared machine falls on both.
//
// Printed:
// - requests per second and latency p50/p99 (autocannon) with and without tactful, with 8
//   connections (as fast as the worker answers) and with one (a page view's own latency);
// - the worker's CPU per request: workerd's own CPU time (utime + stime from /proc) over each
//   loaded phase divided by its requests, and p50/p99 of it one request at a time (schedstat,
//   nanoseconds), for both; the difference is what tactful adds;
// - the isolate time per request, p50 and p99, from a second, traced run (`--async-trace`):
//   the sum over a request's turns of the time its JavaScript held the isolate (`locked` to
//   `end`). workerd's clocks do not advance while JavaScript runs (a Spectre mitigation), so
//   the worker cannot time its own decision; the runtime's trace can. It includes the
//   decision, the HTMLRewriter pass and the cookies; the pass-through's isolate time is
//   printed beside it.
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { cookieHeader, setCookies, shopperKey, startEdge } from "./harness.mjs";

const PAGES = ["/checkout", "/cart", "/products/course-foundations"];
const SHOPPERS = 500;
const CONNECTIONS = 8;
const SECONDS = Number(process.env.EDGE_BENCH_SECONDS ?? 8);
const TRACED_REQUESTS = 1500;

/** Returning shoppers: a key and the memory cookie of a first view, through the worker. */
async function shoppers(edge) {
  const out = [];
  for (let i = 0; i < SHOPPERS; i++) {
    const key = shopperKey(`bench ${i}`);
    const page = PAGES[i % PAGES.length];
    const response = await fetch(edge.url + page, { headers: { cookie: cookieHeader({ tactful_sid: key }) } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`warm-up view of ${page}: ${response.status}`);
    out.push({ page, cookie: cookieHeader({ tactful_sid: key, tactful_mem: setCookies(response).tactful_mem.value }) });
  }
  return out;
}

/** workerd's CPU time so far, in milliseconds (all its threads). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/**
 * One autocannon run. Its own histogram keeps whole milliseconds, too coarse for pages served
 * in one or two, so the latencies are also collected from its `response` events (fractional
 * milliseconds from `process.hrtime`).
 */
function load(url, list, seconds, { connections = CONNECTIONS, latencies } = {}) {
  let next = 0;
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest(request) {
          const shopper = list[next++ % list.length];
          request.path = shopper.page;
          request.headers = { ...request.headers, cookie: shopper.cookie };
          return request;
        },
      },
    ],
  });
  if (latencies) instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
  return instance;
}

async function measured(edge, url, list, into, connections) {
  const before = cpuMs(edge.pid);
  const result = await load(url, list, SECONDS, { connections, latencies: into.latencies });
  into.cpu += cpuMs(edge.pid) - before;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  into.rps.push(result.requests.average);
  into.requests += result.requests.total;
}

function phase() {
  return { latencies: [], rps: [], requests: 0, cpu: 0 };
}

function summary(p) {
  const sorted = p.latencies.sort((a, b) => a - b);
  return {
    rps: p.rps.reduce((s, r) => s + r, 0) / p.rps.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    cpuPerRequest: p.cpu / p.requests,
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** workerd's CPU time so far in nanoseconds, all threads (schedstat: time on a CPU, ns). */
function cpuNs(pid) {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // a thread that just ended
    }
  }
  return total;
}

/**
 * CPU per request, one request at a time: workerd's CPU time (every thread, so HTTP too) read
 * before and after each. Unlike wall-clock time, it does not count time the threads spent
 * waiting for a core, which on this shared machine dominates the tail. Returns `{ p50, p99 }`.
 */
async function cpuPerRequest(edge, url, list) {
  const samples = [];
  for (let i = 0; i < TRACED_REQUESTS; i++) {
    const shopper = list[i % list.length];
    const before = cpuNs(edge.pid);
    const response = await fetch(url + shopper.page, { headers: { cookie: shopper.cookie } });
    await response.arrayBuffer();
    samples.push((cpuNs(edge.pid) - before) / 1e6);
  }
  const sorted = samples.slice(300).sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** Per-request isolate time from an async trace: `{ worker: [ms, ...] }`. */
function isolateTimes(file) {
  const workerOf = new Map();
  const total = new Map();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const event = JSON.parse(line);
    if (event.e === "ctx") workerOf.set(event.ctx, event.worker);
    if (event.e === "turn") total.set(event.ctx, (total.get(event.ctx) ?? 0) + (event.end - event.locked));
  }
  const out = {};
  for (const [ctx, ns] of total) (out[workerOf.get(ctx)] ??= []).push(ns / 1e6);
  return out;
}

async function traced(list) {
  const file = join(tmpdir(), `tactful-edge-trace-${process.pid}.jsonl`);
  const edge = await startEdge("bench", { originProcess: true, extraArgs: ["--async-trace", file] });
  try {
    for (const url of [edge.url, edge.passthroughUrl]) {
      // One request at a time, so the isolate's turns are not stretched by queueing.
      for (let i = 0; i < TRACED_REQUESTS; i++) {
        const shopper = list[i % list.length];
        const response = await fetch(url + shopper.page, { headers: { cookie: shopper.cookie } });
        await response.arrayBuffer();
      }
    }
  } finally {
    await edge.stop();
  }
  const times = isolateTimes(file);
  rmSync(file, { force: true });
  const summary = {};
  for (const [worker, all] of Object.entries(times)) {
    // The first 300 requests warm the isolate (V8 tiers the wasm and the glue up).
    const sorted = all.slice(300).sort((a, b) => a - b);
    summary[worker] = { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  }
  return summary;
}

const f = (n, digits = 2) => n.toFixed(digits);

const edge = await startEdge("bench", { originProcess: true });
const saturated = { tactful: phase(), passthrough: phase() };
const single = { tactful: phase(), passthrough: phase() };
const cpu = {};
let list;
try {
  list = await shoppers(edge);
  // Warm both paths up, then ABAB: as fast as the worker answers with 8 connections, then with
  // one request at a time (a page view's own latency, with no queue in front of it).
  // (autocannon's `overallRate` sends each second's requests in a burst, so it measures a
  // queue, not a steady rate; one connection does not.)
  await load(edge.url, list, 2);
  await load(edge.passthroughUrl, list, 2);
  for (const [phases, connections] of [[saturated, CONNECTIONS], [single, 1]]) {
    for (let round = 0; round < 2; round++) {
      await measured(edge, edge.passthroughUrl, list, phases.passthrough, connections);
      await measured(edge, edge.url, list, phases.tactful, connections);
    }
  }
  cpu.tactful = await cpuPerRequest(edge, edge.url, list);
  cpu.passthrough = await cpuPerRequest(edge, edge.passthroughUrl, list);
} finally {
  await edge.stop();
}
const isolate = await traced(list);
const withTactful = summary(saturated.tactful);
const without = summary(saturated.passthrough);
const singleWith = summary(single.tactful);
const singleWithout = summary(single.passthrough);

const pct = (a, b) => `${a >= b ? "+" : ""}${f((100 * (a - b)) / b, 1)}%`;
console.log(`\nedge worker on workerd: ${CONNECTIONS} connections and 1, ${SECONDS} s x 2 per variant and load, ${SHOPPERS} returning shoppers, load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
console.log("| | with tactful | passthrough (same worker, tactful off) | tactful adds |");
console.log("|---|---|---|---|");
console.log(`| requests/s, as fast as it answers | ${f(withTactful.rps, 0)} | ${f(without.rps, 0)} | ${pct(withTactful.rps, without.rps)} |`);
console.log(`| latency p50 there | ${f(withTactful.p50)} ms | ${f(without.p50)} ms | ${pct(withTactful.p50, without.p50)} |`);
console.log(`| latency p99 there | ${f(withTactful.p99)} ms | ${f(without.p99)} ms | ${pct(withTactful.p99, without.p99)} |`);
console.log(`| requests/s, one at a time | ${f(singleWith.rps, 0)} | ${f(singleWithout.rps, 0)} | ${pct(singleWith.rps, singleWithout.rps)} |`);
console.log(`| latency p50, one at a time | ${f(singleWith.p50)} ms | ${f(singleWithout.p50)} ms | ${pct(singleWith.p50, singleWithout.p50)} |`);
console.log(`| latency p99, one at a time | ${f(singleWith.p99)} ms | ${f(singleWithout.p99)} ms | ${pct(singleWith.p99, singleWithout.p99)} |`);
console.log(`| workerd CPU per request, mean under load (/proc stat) | ${f(withTactful.cpuPerRequest, 3)} ms | ${f(without.cpuPerRequest, 3)} ms | ${f(withTactful.cpuPerRequest - without.cpuPerRequest, 3)} ms |`);
console.log(`| workerd CPU per request p50 (schedstat, one at a time, ${cpu.tactful.n} requests) | ${f(cpu.tactful.p50, 3)} ms | ${f(cpu.passthrough.p50, 3)} ms | ${f(cpu.tactful.p50 - cpu.passthrough.p50, 3)} ms |`);
console.log(`| workerd CPU per request p99 (schedstat) | ${f(cpu.tactful.p99, 3)} ms | ${f(cpu.passthrough.p99, 3)} ms | ${f(cpu.tactful.p99 - cpu.passthrough.p99, 3)} ms |`);
const t = isolate.tactful;
const p = isolate.passthrough;
console.log(`| isolate time per request p50 (trace, ${t.n} requests) | ${f(t.p50, 3)} ms | ${f(p.p50, 3)} ms | ${f(t.p50 - p.p50, 3)} ms |`);
console.log(`| isolate time per request p99 | ${f(t.p99, 3)} ms | ${f(p.p99, 3)} ms | ${f(t.p99 - p.p99, 3)} ms |`);
