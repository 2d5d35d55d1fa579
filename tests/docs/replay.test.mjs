// www/docs/replay.md's block, run as written with the release CLI (`./build.sh build` first)
// in a scratch folder that holds what the page says it holds: `current.snap`, the sample store
// exploring 30% of its decisions among its best three, and `decisions.jsonl`, 2,000 of its
// decision records (made by the Node package with `decisionRecord: true`) and their accepts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertPrinted, root, snippet } from "../common/snippets.mjs";

const require = createRequire(import.meta.url);
const { Engine } = require(join(root, "pkg/node/tactful.js"));
const cli = join(root, "target/release/tactful");

test("the replay block prints what the page says, with support checked", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tactful-replay-docs-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ["target", "www"]) symlinkSync(join(root, name), join(dir, name));
  // The exploring store: the sample store with one line added to its [policy].
  const store = join(dir, "exploring");
  execFileSync("mkdir", [store]);
  const text = readFileSync(join(root, "www/sample-store/store.toml"), "utf8")
    .replace("[policy]\n", "[policy]\nexploration = { percent = 30, among = 3 }\n");
  writeFileSync(join(store, "store.toml"), text);
  copyFileSync(join(root, "www/sample-store/offers.toml"), join(store, "offers.toml"));
  execFileSync(cli, ["compile", join(store, "store.toml"), "--model", join(root, "www/sample-store/model.toml"), "-o", join(dir, "current.snap")]);
  const engine = Engine.fromBytes(readFileSync(join(dir, "current.snap")));
  const lines = [];
  const carts = [["pack-starter"], ["course-quickstart"], ["pack-portfolio"], ["course-foundations"]];
  for (let i = 0; i < 2000; i++) {
    const context = { surface: "checkout", now: 1763726400000 + i * 1000, shopperKey: `docs-${i}`, cart: carts[i % carts.length] };
    const record = engine.decide(context, "", { decisionRecord: true }).decision.exposure;
    lines.push(JSON.stringify(record));
    const first = record.offers[0];
    if (!record.holdout && first && i % 7 === 0) {
      lines.push(JSON.stringify({ type: "accept", v: 1, decisionId: record.decisionId, offerId: first.offerId, at: context.now + 5000, shopperKey: context.shopperKey }));
    }
  }
  writeFileSync(join(dir, "decisions.jsonl"), lines.join("\n") + "\n");
  const block = snippet("replay-first");
  const run = spawnSync("bash", ["-c", `set -e\nexec 2>&1\n${block.code}`], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  assert.equal(run.status, 0, run.stdout);
  assertPrinted(block, run.stdout);
  // The log explored, so there is an estimate; the JSON says the same as the text.
  const json = JSON.parse(execFileSync(cli, ["replay", "candidate.snap", "decisions.jsonl", "--logging", "current.snap", "--json"], { cwd: dir, encoding: "utf8" }));
  assert.ok(json.diagnostics.explored > 0.1, JSON.stringify(json.diagnostics));
  assert.equal(json.diagnostics.support, 1);
  assert.equal(json.records.notReproduced, 0);
  assert.ok(json.estimated, json.reasons.join("; "));
  assert.match(run.stdout, new RegExp(`verdict: ${json.verdict.replace("_", " ")}`));
});
