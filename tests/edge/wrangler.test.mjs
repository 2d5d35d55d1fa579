// The worker as Cloudflare's own tool builds and runs it.
//
// - `wrangler deploy --dry-run` bundles www/edge/worker.js with its imports (the package's
//   worker factory, its edge entry, the contract it shares with the embed, the .wasm and the
//   snapshot as a data module) under the repository's wrangler.toml, deploying nothing.
// - www/docs/edge.md's "Deploy your own", exactly as written: its three blocks (the compile
//   command, worker.js, wrangler.toml) in a fresh folder with the package as `npm pack` makes
//   it, under `wrangler dev` in front of the demo storefront (ORIGIN_URL set on the command
//   line). Headless Chromium loads the checkout, finds the offer, clicks Add and lands on the
//   origin's cart with the item in it; screenshots at 1280 and 375 px go to target/screenshots/.
//   wrangler runs in a process group of its own, stopped (and killed if need be) by the test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "../browser/harness.mjs";
import { snippet } from "../common/snippets.mjs";
import { startOrigin } from "../../www/storefront/server.mjs";
import { shopperKey } from "./harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const wrangler = join(here, "node_modules", ".bin", "wrangler");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" };

test("wrangler bundles the worker for a deploy (dry run)", () => {
  const out = mkdtempSync(join(tmpdir(), "tactful-wrangler-"));
  try {
    const log = execFileSync(wrangler, ["deploy", "--dry-run", "--outdir", out], {
      cwd: join(root, "www/edge"),
      encoding: "utf8",
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    assert.match(log, /--dry-run: exiting now/);
    assert.match(log, /ORIGIN_URL/);
    const files = readdirSync(out);
    assert.ok(files.some((f) => f.endsWith(".wasm")), `the .wasm ships beside the bundle: ${files}`);
    assert.ok(files.some((f) => f.endsWith(".snap")), `the snapshot ships as a data module: ${files}`);
    const bundle = readFileSync(join(out, "worker.js"), "utf8");
    // The factory and the contract are bundled in, with the values the embed uses.
    assert.match(bundle, /function createEdgeWorker/);
    assert.match(bundle, /tactful_mem/);
    assert.match(bundle, /Add to your order/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/** A port free on 127.0.0.1 now (wrangler takes a port number, not 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The docs' folder: the package installed from its tarball, and the three blocks as written. */
function deployFolder() {
  const work = mkdtempSync(join(tmpdir(), "tactful-wrangler-dev-"));
  const app = join(work, "app");
  mkdirSync(app);
  const quiet = { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" };
  execFileSync("npm", ["pack", join(root, "pkg"), "--pack-destination", work, "--silent"], { ...quiet, cwd: root });
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "my-store-offers", private: true }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", join(work, tarball)], { ...quiet, cwd: app });
  for (const file of ["store.toml", "offers.toml", "model.toml"]) copyFileSync(join(root, "www/sample-store", file), join(app, file));
  // The compile command as the docs show it, with the CLI the build made on the PATH.
  const path = `${join(root, "target", "release")}:${process.env.PATH}`;
  execFileSync("sh", ["-e", "-c", snippet("edge-compile").code], { ...quiet, cwd: app, env: { ...process.env, PATH: path } });
  assert.ok(readFileSync(join(app, "store.snap")).equals(readFileSync(join(root, "out/inkwell-studio.snap"))), "the docs' compile makes the sample snapshot");
  writeFileSync(join(app, "worker.js"), snippet("edge-worker-js").code);
  writeFileSync(join(app, "wrangler.toml"), snippet("edge-wrangler-toml").code);
  return { work, app };
}

/** `wrangler dev` in its own process group; resolves once it is ready, to `{ url, stop() }`. */
async function wranglerDev(app, originUrl) {
  const port = await freePort();
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--var", `ORIGIN_URL:${originUrl}`, "--log-level", "info"];
  const child = spawn(wrangler, args, { cwd: app, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const killOnExit = () => killGroup("SIGKILL");
  process.once("exit", killOnExit);
  let log = "";
  child.stdout.on("data", (chunk) => (log += chunk));
  child.stderr.on("data", (chunk) => (log += chunk));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    process.removeListener("exit", killOnExit);
    killGroup("SIGTERM");
    const timer = setTimeout(() => killGroup("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`wrangler dev was not ready within 60 s:\n${log}`)), 60_000);
      const watch = setInterval(() => {
        if (log.includes(`Ready on ${url}`)) {
          clearInterval(watch);
          clearTimeout(timer);
          resolve();
        }
      }, 100);
      exited.then((code) => {
        clearInterval(watch);
        clearTimeout(timer);
        reject(new Error(`wrangler dev exited with ${code}:\n${log}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, log: () => log, stop };
}

test("the docs' worker under wrangler dev: the offer at checkout, Add, and the origin's cart", { timeout: 180_000 }, async () => {
  const { work, app } = deployFolder();
  const origin = await startOrigin(0);
  let dev;
  let browser;
  try {
    [dev, browser] = await Promise.all([wranglerDev(app, origin.url), launch()]);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // A shopper outside the sample store's 5% holdout (a random key is held out now and then).
    await context.addCookies([{ name: "tactful_sid", value: shopperKey("wrangler dev shopper"), url: dev.url }]);
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${dev.url}/checkout`);

    const offer = page.locator(".tactful-offer");
    assert.equal(await offer.count(), 1, "the checkout shows one offer");
    const title = await offer.locator(".tactful-title").textContent();
    const offerId = await offer.getAttribute("data-offer-id");
    assert.equal(await page.locator(".tactful-heading").textContent(), "Add to your order");
    const add = page.getByRole("button", { name: `Add ${title}`, exact: true });
    const dismiss = page.getByRole("button", { name: `No thanks: dismiss ${title}`, exact: true });
    assert.equal(await add.count(), 1);
    assert.equal(await dismiss.count(), 1);
    // Styled by the card's stylesheet the worker serves, themed by the store's properties.
    assert.equal(await add.evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(59, 59, 179)");
    assert.equal(await page.locator(".tactful-card").evaluate((c) => getComputedStyle(c).backgroundColor), "rgb(251, 248, 243)");

    const shots = join(root, "target/screenshots");
    mkdirSync(shots, { recursive: true });
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      // Nothing wider than the screen, and both buttons whole and on screen.
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `no sideways scroll at ${width} px`);
      for (const button of [add, dismiss]) {
        const box = await button.boundingBox();
        assert.ok(box.x >= 0 && box.x + box.width <= width && box.height >= 24, `${width} px: ${JSON.stringify(box)}`);
      }
      await page.screenshot({ path: join(shots, `edge-wrangler-checkout-${width}.png`), fullPage: true, animations: "disabled" });
    }

    await add.click();
    await page.waitForURL(`${dev.url}/cart`);
    assert.match(await page.locator("ul.cart").textContent(), new RegExp(`${title} · added`));
    const cookies = Object.fromEntries((await context.cookies()).map((c) => [c.name, c.value]));
    assert.equal(cookies.store_cart, offerId, "the origin's cart holds the offer");
    assert.ok(cookies.tactful_mem, "the worker kept the shopper's memory");
    assert.ok(!(await page.locator(`.tactful-offer[data-offer-id="${offerId}"]`).count()), "the cart does not offer what was added");
    await page.screenshot({ path: join(shots, "edge-wrangler-cart-375.png"), fullPage: true, animations: "disabled" });
    await page.goto(`${dev.url}/checkout`);
    assert.ok(!(await page.locator(`.tactful-offer[data-offer-id="${offerId}"]`).count()), "the checkout does not offer it again");
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await Promise.all([dev?.stop(), browser?.close(), origin.close()]);
    rmSync(work, { recursive: true, force: true });
  }
});
