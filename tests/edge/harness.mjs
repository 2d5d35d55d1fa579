// What the edge tests and the benchmark share: the demo origin (in this process), real workerd
// (the npm package's binary) serving www/edge/config.capnp on 127.0.0.1 with ports chosen by
// the kernel, the native CLI, and cookie helpers.
//
// workerd is started with `--control-fd`, on which it reports each socket's port once it
// listens, so nothing waits on a fixed sleep; it is stopped by `stop()`, and killed if the test
// process exits first, so no server outlives a run.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startOrigin } from "../../www/storefront/server.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI = join(ROOT, "target", "release", "tactful");
export const SNAPSHOT = join(ROOT, "out", "inkwell-studio.snap");
export const CONFIG = join(ROOT, "www", "edge", "config.capnp");
export const WORKERD = join(ROOT, "tests", "edge", "node_modules", ".bin", "workerd");
/** A fixed time for tests (2025-11-21T12:00:00Z), sent as `x-tactful-now`. */
export const NOW = 1763726400000;

for (const file of [CLI, SNAPSHOT, WORKERD]) {
  if (!existsSync(file)) throw new Error(`missing ${file}: run ./build.sh build and npm ci in tests/edge`);
}

/**
 * Starts the origin and workerd with the config's `constName` (`test` or `bench`). Resolves to
 * `{ url, passthroughUrl, byUrl, originUrl, logs(), stop() }` (`byUrl`: the worker reaching the
 * origin by `ORIGIN_URL`, as under wrangler; `brokenUrl`: one whose snapshot cannot load; `test`
 * only); `logs()` is workerd's stderr so far. Another `config` names its `sockets`; `urls` has
 * each socket's URL by name.
 */
export async function startEdge(constName = "test", { extraArgs = [], originProcess = false, config = CONFIG, sockets } = {}) {
  sockets ??= ["http", "passthrough", ...(constName === "test" ? ["byurl", "broken"] : [])];
  const origin = originProcess ? await spawnOrigin() : await startOrigin(0);
  const args = [
    "serve",
    config,
    constName,
    ...sockets.flatMap((socket) => ["--socket-addr", `${socket}=127.0.0.1:0`]),
    "--external-addr",
    `origin=127.0.0.1:${origin.port}`,
    "--control-fd",
    "3",
    ...extraArgs,
  ];
  const child = spawn(WORKERD, args, { stdio: ["ignore", "pipe", "pipe", "pipe"] });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdout.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let earlyExit;
  const ports = await new Promise((resolve, reject) => {
    const found = {};
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`workerd did not listen within 30 s:\n${stderr}`)), 30_000);
    earlyExit = (code) => {
      clearTimeout(timer);
      reject(new Error(`workerd exited with ${code} before listening:\n${stderr}`));
    };
    child.once("exit", earlyExit);
    child.stdio[3].on("data", (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const message = JSON.parse(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        if (message.event === "listen") found[message.socket] = message.port;
        if (sockets.every((socket) => found[socket])) {
          clearTimeout(timer);
          resolve(found);
        }
      }
    });
  });
  child.removeListener("exit", earlyExit);
  return {
    urls: Object.fromEntries(sockets.map((socket) => [socket, `http://127.0.0.1:${ports[socket]}`])),
    url: `http://127.0.0.1:${ports.http}`,
    passthroughUrl: `http://127.0.0.1:${ports.passthrough}`,
    byUrl: ports.byurl && `http://127.0.0.1:${ports.byurl}`,
    brokenUrl: ports.broken && `http://127.0.0.1:${ports.broken}`,
    originUrl: origin.url,
    pid: child.pid,
    logs: () => stderr,
    async stop() {
      process.removeListener("exit", killOnExit);
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      await origin.close();
    },
  };
}

/** The origin in a process of its own (the benchmark: not sharing a thread with the load). */
async function spawnOrigin() {
  const child = spawn(process.execPath, [join(ROOT, "www", "storefront", "server.mjs"), "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const found = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (found) resolve(found[1]);
    });
    child.once("exit", (code) => reject(new Error(`the origin exited with ${code}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid,
    async close() {
      process.removeListener("exit", killOnExit);
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Runs the native CLI; resolves to its standard output. */
export function cli(args, input) {
  return new Promise((resolve, reject) => {
    const child = execFile(CLI, args, { maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`tactful ${args.join(" ")} failed: ${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

/**
 * `tactful decide` for a context object and memory: `{ text, decision, memory, copied }`, where
 * `copied` is the same decision with the shown offers' words (`--copy`), as the card shows them.
 */
export async function nativeDecide(context, memory = "") {
  const args = ["decide", SNAPSHOT, "--context", "-", "--memory", memory];
  const text = (await cli(args, JSON.stringify(context))).trim();
  const { decision, memory: next } = JSON.parse(text);
  const copied = JSON.parse(await cli([...args, "--copy"], JSON.stringify(context))).decision;
  return { text, decision, memory: next, copied };
}

/** `tactful record` of one event into memory: the new memory string. */
export async function nativeRecord(memory, event) {
  return (await cli(["record", "--memory", memory, "--event", JSON.stringify(event)])).trim();
}

/** The `Set-Cookie` values of a response as `{ name: { value, attributes } }`. */
export function setCookies(response) {
  const out = {};
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";").map((s) => s.trim());
    const eq = pair.indexOf("=");
    out[pair.slice(0, eq)] = { value: pair.slice(eq + 1), attributes };
  }
  return out;
}

/** A Cookie header from name-value pairs. */
export function cookieHeader(cookies) {
  return Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join("; ");
}

/**
 * A shopper key shaped as the worker makes one (16 bytes, base64url). Random by default; from a
 * label, the same key every run, for tests that need a shopper outside the 5% holdout (a
 * random key would be held out, and shown nothing, one run in twenty).
 */
export function shopperKey(label) {
  const bytes = label === undefined ? crypto.getRandomValues(new Uint8Array(16)) : createHash("sha256").update(label).digest().subarray(0, 16);
  return Buffer.from(bytes).toString("base64url");
}

/** Fetches a page through the worker at a pinned time, with cookies. */
export function view(edge, path, { cookies = {}, now = NOW, headers = {} } = {}) {
  return fetch(edge.url + path, {
    headers: { "x-tactful-now": String(now), cookie: cookieHeader(cookies), ...headers },
    redirect: "manual",
  });
}

/** The slots of a served page: `{ surface, context, decisionId, cards: [...] }`. */
export function slotsOf(html) {
  const slots = [];
  const slot = /<div data-tactful-slot="([^"]*)"(?: data-tactful-context='([^']*)')?(?: data-tactful-decision="([^"]*)")?>(.*?)<\/div>\n/gs;
  for (const [, surface, context, decisionId, inner] of html.matchAll(slot)) {
    const cards = [];
    const card =
      /<article class="tactful-offer" data-offer-id="([^"]*)" data-frame="([^"]*)"[^>]*><h3 class="tactful-title"[^>]*>([^<]*)<\/h3><p class="tactful-copy">([^<]*)<\/p>(?:<p class="tactful-reason">([^<]*)<\/p>)?<div class="tactful-foot"><p class="tactful-price">(.*?)<\/p>/g;
    for (const [, offerId, frame, title, copy, reason, price] of inner.matchAll(card)) {
      cards.push({ offerId, frame, title, copy, reason: reason ?? null, price });
    }
    slots.push({ surface, context: context ? JSON.parse(context) : {}, decisionId: decisionId ?? null, inner, cards });
  }
  return slots;
}

/** The text the card shows for a decision's offer (with its words: `copied`), escaped as the worker escapes it. */
export function expectedCard(offer, currency) {
  const esc = (s) =>
    String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const money = (minor) => new Intl.NumberFormat("en-US", { style: "currency", currency }).format(minor / 100);
  return {
    offerId: offer.offerId,
    frame: offer.frame,
    title: esc(offer.text.title),
    copy: esc(offer.text.copy),
    reason: offer.text.reasons.length > 0 ? esc(offer.text.reasons[0]) : null,
    price:
      (offer.discountPercent > 0 ? `<s class="tactful-was" aria-label="was ${esc(money(offer.price))}">${esc(money(offer.price))}</s> ` : "") +
      `<span class="tactful-now">${esc(money(offer.finalPrice))}</span>`,
  };
}
