// Shared by the browser tests and the cost benchmark: the system's Chromium driven by
// playwright-core (which downloads no browser), and the demo server on 127.0.0.1.
import { chromium } from "playwright-core";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, DEFAULT_MOUNTS } from "../../www/serve.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CHROMIUM = process.env.TACTFUL_CHROMIUM ?? "/usr/bin/chromium";
export const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium chromium-driver (./build.sh does)`);
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/** The demo server, plus /test-out/ for the test-only snapshots. */
export function serve({ csp = true } = {}) {
  return startServer({ csp, mounts: { ...DEFAULT_MOUNTS, "/test-out/": join(root, "target/browser-tests") } });
}
