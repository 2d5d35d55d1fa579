// The worker as Cloudflare's own tool builds it: `wrangler deploy --dry-run` bundles
// www/edge/worker.js with its imports (the package's edge entry, the contract it shares with
// the embed, the .wasm and the snapshot as a data module) under the repository's
// wrangler.toml, without deploying anything. The worker's behaviour is tested on workerd
// (worker.test.mjs); this checks that the same source builds for a real deploy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const wrangler = join(here, "node_modules", ".bin", "wrangler");

test("wrangler bundles the worker for a deploy (dry run)", () => {
  const out = mkdtempSync(join(tmpdir(), "tactful-wrangler-"));
  try {
    const log = execFileSync(wrangler, ["deploy", "--dry-run", "--outdir", out], {
      cwd: join(root, "www/edge"),
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    assert.match(log, /--dry-run: exiting now/);
    assert.match(log, /ORIGIN_URL/);
    const files = readdirSync(out);
    assert.ok(files.some((f) => f.endsWith(".wasm")), `the .wasm ships beside the bundle: ${files}`);
    assert.ok(files.some((f) => f.endsWith(".snap")), `the snapshot ships as a data module: ${files}`);
    const bundle = readFileSync(join(out, "worker.js"), "utf8");
    // The contract is bundled in, with the values the embed uses.
    assert.match(bundle, /tactful_mem/);
    assert.match(bundle, /Add to your order/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
