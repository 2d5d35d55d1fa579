// The docs' shell, store-file and JSON blocks, run with the release CLI as a reader would run
// them from the repository's root, and what they say they print checked.
//
// Each shell block runs in a scratch folder laid out like the repository (links to target/,
// www/ and tests/, and ../shared beside it), so what a block writes stays out of the
// repository. Needs `./build.sh build` first (the CLI and out/inkwell-studio.snap).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assertPrinted, root, snippet } from "../common/snippets.mjs";
import { SHARED, workspace } from "./workspace.mjs";

const CLI = join(root, "target/release/tactful");
const SNAPSHOT = join(root, "out/inkwell-studio.snap");

test("the README's CLI quick start prints what it says", (t) => {
  const { run } = workspace(t);
  const block = snippet("cli-quick-start");
  const out = run(`set -e\n${block.code}`);
  assertPrinted(block, out);
  // The --pretty decision and the inspect summary ran too.
  assert.match(out, /"play": "expand"/);
  assert.match(out, /^catalog +12 items in 5 categories, 13 offers/m);
});

test("the README's compiler error is the compiler's, to the character", (t) => {
  const { run } = workspace(t);
  const block = snippet("cli-compile-error");
  const out = run(block.code);
  assertPrinted(block, out);
  assert.match(out, /has 1 error\(s\); no snapshot written/);
});

test("the store file reference compiles, with its model, as written", (t) => {
  const { repo } = workspace(t);
  // The reference shows every key; what it sells but does not define is in the included
  // catalog.toml, which the test provides.
  writeFileSync(join(repo, "store.toml"), snippet("store-file").code);
  copyFileSync(join(root, "tests/docs/catalog.toml"), join(repo, "catalog.toml"));
  writeFileSync(join(repo, "model.toml"), snippet("model-file").code);
  const check = (args) => execFileSync(CLI, ["compile", ...args, "--check"], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  assert.match(check(["store.toml"]), /^ok: \d+ bytes, 0 warning\(s\)/);
  // The model names items of the sample store: with it, no warning either.
  assert.match(check([join(root, "www/sample-store/store.toml"), "--model", "model.toml"]), /^ok: \d+ bytes, 0 warning\(s\)/);
});

/**
 * True when `shown` is an abridged copy of `actual`: every key shown is there with a matching
 * value, an array shows a prefix of the actual one, and the string "..." stands for anything.
 */
function abridges(shown, actual, path = "$") {
  if (shown === "...") return;
  if (Array.isArray(shown)) {
    assert.ok(Array.isArray(actual) && actual.length >= shown.length, `${path}: shows ${shown.length} entries of ${JSON.stringify(actual)}`);
    shown.forEach((value, i) => abridges(value, actual[i], `${path}[${i}]`));
  } else if (shown && typeof shown === "object") {
    for (const [key, value] of Object.entries(shown)) {
      assert.ok(actual && key in actual, `${path}.${key} is not in the decision`);
      abridges(value, actual[key], `${path}.${key}`);
    }
  } else {
    assert.equal(shown, actual, path);
  }
}

test("the context reference is a context the engine takes, and the decision and explanation shown are its own", () => {
  const decide = (context, input = "") => JSON.parse(execFileSync(CLI, ["decide", SNAPSHOT, "--context", context], { encoding: "utf8", input }));
  const fromReference = decide("-", snippet("context-json").code).decision;
  assert.deepEqual(fromReference.warnings, [], "every field of the reference context is read without a warning");
  const checkout = join(root, "www/sample-store/contexts/checkout.json");
  const { decision } = decide(checkout);
  const shown = JSON.parse(snippet("decision-json").code);
  abridges(shown, decision);
  // The comparison can fail: a decision with another play is not abridged by it.
  assert.throws(() => abridges(shown, { ...decision, play: "assist" }));
  // And its explanation, from the same inputs.
  const words = JSON.parse(execFileSync(CLI, ["explain", SNAPSHOT, "--context", checkout], { encoding: "utf8" }));
  abridges(JSON.parse(snippet("explanation-json").code), words);
  assert.equal(words.decisionId, decision.decisionId);
});

test("the training reference trains on the real data and prints what it says", (t) => {
  if (!existsSync(join(SHARED, "data/README.md"))) {
    t.skip(`the real data is not at ${SHARED}/data (CI always has it)`);
    return;
  }
  const { run } = workspace(t);
  for (const block of [snippet("train-orders"), snippet("train-outcomes"), snippet("train-risk"), snippet("evaluate-sessions")]) {
    assertPrinted(block, run(`set -e\n${block.code}`));
  }
});
