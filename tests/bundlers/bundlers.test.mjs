// The recipes of www/docs/bundlers.md, exactly as written: each builds a fresh app from the
// packed package with the real Vite or esbuild (pinned in this folder's package.json), serves
// what it wrote with the demos' server and CSP (www/serve.mjs), and loads it in headless
// Chromium, which must show the sample store's offer with no failed request and nothing on the
// console. Screenshots land in target/screenshots/bundler-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "vite";
import { createServer as createServer7 } from "vite7";
import { launch } from "../browser/harness.mjs";
import { startServer } from "../../www/serve.mjs";
import { promisedOutputs, root, snippet } from "../common/snippets.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const SHOTS = join(root, "target/screenshots");
const TITLE = "Creator Toolkit Bundle";
const tsc = join(root, "tests/js/node_modules/.bin/tsc");

let work;
let tarball;
let browser;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "tactful-bundlers-"));
  execFileSync("npm", ["pack", join(root, "pkg"), "--pack-destination", work, "--silent"], { stdio: "ignore" });
  tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz")));
  mkdirSync(SHOTS, { recursive: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

/**
 * A fresh project holding `files` (path → text) and the sample snapshot at `snapshot` (if
 * any), with the packed tactful installed from the tarball (it has no dependencies, so
 * offline) and this folder's Vite (`vite`, or `vite7`) and esbuild linked in, as `npm install
 * -D vite esbuild` would put them.
 */
function app(name, files, snapshot, vite = "vite") {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], { cwd: dir, stdio: "ignore" });
  mkdirSync(join(dir, "node_modules/.bin"), { recursive: true });
  for (const [tool, from, bin] of [["vite", vite, "bin/vite.js"], ["esbuild", "esbuild", "bin/esbuild"]]) {
    symlinkSync(join(here, "node_modules", from), join(dir, "node_modules", tool));
    symlinkSync(join("..", tool, bin), join(dir, "node_modules/.bin", tool));
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  if (snapshot) {
    mkdirSync(dirname(join(dir, snapshot)), { recursive: true });
    copyFileSync(join(root, "out/inkwell-studio.snap"), join(dir, snapshot));
  }
  return dir;
}

/** Runs a shell block's commands (its lines that are not comments) in `dir`. */
function run(block, dir) {
  for (const line of block.code.split("\n").filter((l) => l.trim() && !l.startsWith("#"))) {
    execFileSync("sh", ["-c", line], { cwd: dir, stdio: "pipe", env: { ...process.env, npm_config_offline: "true" } });
  }
}

/** Every file under `folder` (of `dir`), as `folder/...` paths. */
function filesUnder(dir, folder) {
  return readdirSync(join(dir, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/**
 * Asserts the files are the ones the block promises (one path a line; `…`, as in every
 * promise: a content hash), one to one and in any order.
 */
function assertWrote(block, files) {
  const left = [...files];
  for (const path of promisedOutputs(block).flat()) {
    const pattern = new RegExp(`^${path.split("…").map((part) => part.replaceAll(".", "\\.")).join("[^/]+")}$`);
    const at = left.findIndex((file) => pattern.test(file));
    assert.ok(at >= 0, `${block.name} promises ${path}; wrote ${files.join(" ")}`);
    left.splice(at, 1);
  }
  assert.deepEqual(left, [], `${block.name} wrote files it does not list`);
}

/**
 * Loads `url` at `width` px and returns what happened: the offer titles in the card (or the
 * slot's text with `card: false`; null when nothing came before the page threw), the failed
 * requests, the console's errors and warnings, the workers started and every response.
 */
async function visit(url, { width, card = true, shot }) {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const failed = [];
  const console_ = [];
  const workers = [];
  const responses = [];
  // Headless Chromium asks for /favicon.ico by itself; these pages have none.
  const favicon = (where) => new URL(where).pathname === "/favicon.ico";
  page.on("requestfailed", (request) => failed.push(`${request.failure()?.errorText} ${new URL(request.url()).pathname}`));
  page.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    responses.push({ path, status: response.status(), type: response.headers()["content-type"] });
    if (response.status() >= 400 && !favicon(response.url())) failed.push(`${response.status()} ${path}`);
  });
  page.on("console", (message) => {
    if (["error", "warning"].includes(message.type()) && !favicon(message.location().url || url)) console_.push(message.text());
  });
  page.on("pageerror", (error) => console_.push(String(error)));
  page.on("worker", (worker) => workers.push(new URL(worker.url()).pathname));
  try {
    const threw = page.waitForEvent("pageerror", { timeout: 0 }).then(() => null, () => null);
    await page.goto(url);
    const titles = page.locator(card ? ".tactful-offer .tactful-title" : "#offer:not(:empty)");
    const shown = await Promise.race([titles.first().waitFor({ timeout: 10_000 }).then(() => titles.allTextContents()), threw]);
    // animations: "disabled" finishes the card's fade-in, which would show it half transparent.
    if (shot) await page.screenshot({ path: join(SHOTS, `bundler-${shot}-${width}.png`), fullPage: true, animations: "disabled" });
    return { shown, failed, console: console_, workers, responses };
  } finally {
    await page.close();
  }
}

/** Serves `folder` with the demos' server (strict CSP) and visits it at both widths. */
async function servedAndShown(folder, shot, { card = true } = {}) {
  const server = await startServer({ mounts: { "/": folder }, csp: true });
  try {
    const visits = [];
    for (const width of [1280, 375]) {
      const seen = await visit(`${server.url}/`, { width, card, shot: card ? shot : undefined });
      assert.deepEqual(seen.shown, [TITLE], `${shot} at ${width} px: ${JSON.stringify(seen)}`);
      assert.deepEqual(seen.failed, [], `${shot}: no failed request`);
      assert.deepEqual(seen.console, [], `${shot}: nothing on the console`);
      const wasm = seen.responses.filter((r) => r.path.endsWith(".wasm"));
      assert.deepEqual(wasm.map((r) => [r.status, r.type]), [[200, "application/wasm"]], "one .wasm, streamed");
      assert.equal(seen.workers.length, card ? 1 : 0, "the embed runs the engine in its worker");
      assert.ok(!seen.responses.some((r) => r.path.includes("embed-debug")), "the debugging module stays unfetched");
      visits.push(seen);
    }
    return visits[0];
  } finally {
    await server.close();
  }
}

/** Vite's layout: the page, its stylesheet and main.js at the root, the snapshot in public/. */
const viteApp = (name, { main = snippet("bundler-main").code, config = {}, vite } = {}) =>
  app(name, { "index.html": snippet("bundler-page").code, "style.css": snippet("bundler-style").code, "main.js": main, ...config }, "public/store.snap", vite);
const vite7Config = { "vite.config.js": snippet("bundler-vite7-config").code };

test("Vite: the page builds with no configuration and shows the offer, under the strict CSP", async () => {
  const dir = viteApp("vite");
  const build = snippet("bundler-vite-build");
  run(build, dir);
  assertWrote(build, filesUnder(dir, "dist"));
  const seen = await servedAndShown(join(dir, "dist"), "vite");
  // The second embed-worker-*.js is the main-thread fallback, which a page with a Worker never loads.
  assert.equal(seen.responses.filter((r) => r.path.includes("embed-worker")).length, 1);
  assert.match(seen.workers[0], /^\/assets\/embed-worker-[\w-]+\.js$/);
});

/** Starts Vite's dev server (`create`: Vite 8's or 7's createServer) on the app and visits it. */
async function devServer(create, dir) {
  const server = await create({ root: dir, logLevel: "silent", server: { host: "127.0.0.1", port: 0 } });
  await server.listen();
  try {
    return await visit(server.resolvedUrls.local[0], { width: 1280 });
  } finally {
    await server.close();
  }
}

test("Vite: the dev server shows the offer with no setting, and with Vite 7's", async () => {
  for (const [name, config] of [["vite-dev", {}], ["vite-dev-config", vite7Config]]) {
    const seen = await devServer(createServer, viteApp(name, { config }));
    assert.deepEqual(seen.shown, [TITLE], `${name}: ${JSON.stringify(seen)}`);
    assert.deepEqual(seen.failed, [], name);
    assert.deepEqual(seen.console, [], name);
    assert.deepEqual(seen.workers, ["/node_modules/tactful/embed/embed-worker.js"], name);
  }
});

test("Vite 7: the dev server needs optimizeDeps.exclude, and fails as the docs say without it", async () => {
  const fixed = await devServer(createServer7, viteApp("vite7-dev", { config: vite7Config, vite: "vite7" }));
  assert.deepEqual(fixed.shown, [TITLE], JSON.stringify(fixed));
  assert.deepEqual(fixed.failed, []);
  assert.deepEqual(fixed.console, []);
  const broken = await devServer(createServer7, viteApp("vite7-dev-plain", { vite: "vite7" }));
  assert.equal(broken.shown, null, "no card");
  assert.deepEqual(broken.workers, ["/node_modules/.vite/deps/embed-worker.js"]);
  assert.deepEqual(broken.failed.filter((f) => f.startsWith("404")), ["404 /node_modules/.vite/deps/embed-worker.js"]);
  assert.ok(broken.console.some((text) => text.includes("[embed.worker_failed]")), broken.console.join("\n"));
  // On the main thread the glue is handed Vite's HTML fallback page for the .wasm.
  assert.ok(broken.console.some((text) => text.includes("found 3c 21 64 6f")), broken.console.join("\n"));
});

test("Vite: the engine without the card finds its .wasm", async () => {
  const dir = viteApp("vite-engine", { main: snippet("bundler-engine").code });
  run(snippet("bundler-vite-build"), dir);
  await servedAndShown(join(dir, "dist"), "vite-engine", { card: false });
});

/** esbuild's layout: main.js at the root; the page, its stylesheet and the snapshot in public/. */
const esbuildApp = (name, main = snippet("bundler-main").code) =>
  app(name, { "public/index.html": snippet("bundler-page").code, "public/style.css": snippet("bundler-style").code, "main.js": main }, "public/store.snap");
// Text only the engine's glue has, and only the debugging module.
const glue = "__wbindgen_malloc";
const debugging = "Close the tactful debug overlay";

test("esbuild: a plain bundle leaves the worker and the .wasm behind, as the docs say", async () => {
  const dir = esbuildApp("esbuild-plain");
  run({ code: "npx esbuild main.js --bundle --format=esm --outdir=public\n" }, dir);
  const bundle = readFileSync(join(dir, "public/main.js"), "utf8");
  assert.ok(bundle.includes(glue) && bundle.includes(debugging), "without --splitting the glue and the debugging module are in main.js");
  const server = await startServer({ mounts: { "/": join(dir, "public") }, csp: true });
  try {
    const seen = await visit(`${server.url}/`, { width: 1280 });
    assert.equal(seen.shown, null, "no card");
    assert.deepEqual(seen.failed.filter((f) => f.startsWith("404")).sort(), ["404 /embed-worker.js", "404 /tactful_bg.wasm"]);
    assert.ok(seen.console.some((text) => text.includes("[embed.worker_failed]")), seen.console.join("\n"));
  } finally {
    await server.close();
  }
});

for (const [how, block] of [["the command", snippet("bundler-esbuild-cli")], ["the build script", snippet("bundler-esbuild-script")]]) {
  test(`esbuild: ${how} writes the worker and the .wasm next to main.js, and shows the offer`, async () => {
    const dir = esbuildApp(block.name);
    if (block.lang === "sh") run(block, dir);
    else {
      writeFileSync(join(dir, "build.mjs"), block.code);
      run({ code: "node build.mjs\n" }, dir);
    }
    assertWrote(snippet("bundler-esbuild-cli"), filesUnder(dir, "public"));
    const bundle = readFileSync(join(dir, "public/main.js"), "utf8");
    assert.ok(!bundle.includes(glue) && !bundle.includes(debugging), "with --splitting the glue and the debugging module stay out of main.js");
    const seen = await servedAndShown(join(dir, "public"), block.name.replace("bundler-", ""));
    assert.deepEqual(seen.workers, ["/embed-worker.js"]);
  });
}

test("esbuild: the engine without the card finds its .wasm", async () => {
  const dir = esbuildApp("esbuild-engine", snippet("bundler-engine").code);
  run(snippet("bundler-esbuild-cli"), dir);
  await servedAndShown(join(dir, "public"), "esbuild-engine", { card: false });
});

test("TypeScript: the docs' tsconfig checks both main.js modules, and refuses a wrong surface", () => {
  const tsconfig = snippet("bundler-tsconfig").code;
  const check = (dir) => execFileSync(tsc, ["-p", dir], { stdio: "pipe", encoding: "utf8" });
  check(app("ts-engine", { "main.js": snippet("bundler-engine").code, "tsconfig.json": tsconfig }));
  const main = snippet("bundler-main").code;
  const dir = app("ts-embed", { "main.js": main, "tsconfig.json": tsconfig });
  check(dir);
  writeFileSync(join(dir, "main.js"), main.replace('surface: "checkout"', 'surface: "chekout"'));
  assert.throws(() => check(dir), (error) => /main\.js.*"chekout"/.test(error.stdout));
});
