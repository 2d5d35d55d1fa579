// www/docs/logs.md: each example record is a record the CLI actually emits for the sample
// checkout, byte for byte (the same keys in the same order, the same kinds and values), and
// the shell block runs as written and prints what it says. The embed's and the edge worker's
// records are checked against the CLI's in tests/browser/e2e.test.mjs and tests/edge/log.test.mjs,
// and the GA4 block against the dataLayer in Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertPrinted, root, snippet } from "../common/snippets.mjs";

const CLI = join(root, "target/release/tactful");
const SNAPSHOT = join(root, "out/inkwell-studio.snap");
const CHECKOUT = join(root, "www/sample-store/contexts/checkout.json");

function scratch(t) {
  const dir = mkdtempSync(join(tmpdir(), "tactful-logs-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The lines `tactful <args> --log FILE` appends to a fresh file. */
function logged(dir, name, args) {
  const file = join(dir, `${name}.jsonl`);
  execFileSync(CLI, [...args, "--log", file], { stdio: ["ignore", "ignore", "pipe"] });
  return readFileSync(file, "utf8").split("\n").slice(0, -1);
}

/** The lines of a block, each checked to be one JSON object of a known type and version 1. */
function exampleLines(block) {
  const lines = block.code.trimEnd().split("\n");
  for (const line of lines) {
    const record = JSON.parse(line);
    assert.ok(["exposure", "accept", "dismiss", "decision"].includes(record.type), line);
    assert.equal(record.v, 1);
  }
  return lines;
}

test("the exposure and decision examples are the records tactful decide --log writes for the sample checkout", (t) => {
  const dir = scratch(t);
  assert.deepEqual(exampleLines(snippet("log-exposure")), logged(dir, "exposure", ["decide", SNAPSHOT, "--context", CHECKOUT]));
  assert.deepEqual(exampleLines(snippet("log-decision")), logged(dir, "decision", ["decide", SNAPSHOT, "--context", CHECKOUT, "--log-decision"]));
  // The decision record is the exposure's fields, in order, then the context and the memory.
  const exposure = JSON.parse(exampleLines(snippet("log-exposure"))[0]);
  const decision = JSON.parse(exampleLines(snippet("log-decision"))[0]);
  assert.deepEqual(Object.keys(decision), [...Object.keys(exposure), "context", "memory"]);
  assert.deepEqual({ ...decision, type: "exposure", context: undefined, memory: undefined }, { ...exposure, context: undefined, memory: undefined });
});

test("the accept and dismiss examples are the records tactful record --log writes", (t) => {
  const dir = scratch(t);
  const [accept, dismiss] = exampleLines(snippet("log-outcomes")).map((line) => JSON.parse(line));
  const record = (event, extra = []) =>
    logged(dir, event.type, ["record", "--snapshot", SNAPSHOT, "--event", JSON.stringify(event), "--decision", accept.decisionId, "--shopper-key", accept.shopperKey, ...extra]);
  const emitted = [
    ...record({ type: "accept", offerId: accept.offerId, at: accept.at }),
    ...record({ type: "dismiss", offerId: dismiss.offerId, at: dismiss.at }, ["--via", dismiss.via]),
  ];
  assert.deepEqual(exampleLines(snippet("log-outcomes")), emitted);
  // And they belong to the exposure shown above.
  assert.equal(accept.decisionId, JSON.parse(exampleLines(snippet("log-exposure"))[0]).decisionId);
});

test("the shell block runs as written and prints what it says", (t) => {
  const dir = scratch(t);
  for (const name of ["target", "www"]) symlinkSync(join(root, name), join(dir, name));
  const block = snippet("log-cli");
  const result = spawnSync("bash", ["-c", `set -e\nexec 2>&1\n${block.code}`], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  assert.equal(result.status, 0, result.stdout);
  assertPrinted(block, result.stdout);
  assert.deepEqual(readFileSync(join(dir, "exposures.jsonl"), "utf8"), `${exampleLines(snippet("log-exposure"))[0]}\n`);
  assert.deepEqual(readFileSync(join(dir, "decisions.jsonl"), "utf8"), `${exampleLines(snippet("log-decision"))[0]}\n`);
});
