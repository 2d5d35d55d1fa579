// The README's first block: `./build.sh` builds, shows decisions on the sample store and
// serves the demos; `./build.sh test` is what CI runs (.ci/run), so it runs this very file.
//
// Run on its own, after every other suite (`./build.sh test` does): `./build.sh` rebuilds pkg/,
// which the other suites read. Named without `.test` so that no glob of the suites picks it up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { root, snippet } from "../common/snippets.mjs";

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

test("the README's two commands are ./build.sh and ./build.sh test, and the first serves the demo", async () => {
  const commands = snippet("first-commands").code.split("\n").map((line) => line.replace(/#.*/, "").trim()).filter(Boolean);
  assert.deepEqual(commands, ["./build.sh", "./build.sh test"]);
  assert.match(readFileSync(join(root, ".ci/run"), "utf8"), /^\.\/build\.sh test$/m, "CI runs the second");

  const port = await freePort();
  const demo = spawn("./build.sh", [], { cwd: root, env: { ...process.env, PORT: String(port) }, detached: true });
  let output = "";
  demo.stdout.on("data", (chunk) => (output += chunk));
  demo.stderr.on("data", (chunk) => (output += chunk));
  const stop = () => {
    try {
      process.kill(-demo.pid, "SIGTERM"); // the script and the server it execs
    } catch {}
  };
  try {
    const deadline = Date.now() + 15 * 60_000;
    let page = null;
    while (!page && Date.now() < deadline && demo.exitCode === null) {
      page = await fetch(`http://127.0.0.1:${port}/checkout.html`).then((r) => (r.ok ? r.text() : null), () => null);
      if (!page) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.ok(page, `the demo did not come up:\n${output}`);
    assert.match(page, /<div class="offer-slot" id="offer"/);
    // Before serving, it showed the sample store's decisions.
    assert.match(output, /==> decide: www\/sample-store\/contexts\/checkout\.json/);
    assert.match(output, /^offer 1 +creator-toolkit \[bundle, completeness\]/m);
    const wasm = await fetch(`http://127.0.0.1:${port}/pkg/web/tactful_bg.wasm`);
    assert.equal(wasm.headers.get("content-type"), "application/wasm");
  } finally {
    stop();
  }
});
