// Every data-driven case file, replayed through each wasm build (pkg/node's, built for speed,
// and pkg/web's, built for size, which pages and edge workers run), must give the native
// engine's decision JSON byte for byte. `cargo test --test cases` (tests/cases.rs) exports each
// case into <target dir>/tmp/cases/: the compiled snapshot, and every step with the context as
// the engine read it, the memory going in and the native output text (or error code). Run by
// ./build.sh test after `cargo test` and the build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join, resolve } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(import.meta.url);
// The two builds of the engine: one source at two optimisation levels (Cargo.toml's `wasm-node`
// and `wasm` profiles), each held to the native engine on every case.
const web = await import(pathToFileURL(join(root, "pkg/web/tactful.js")).href);
web.initSync({ module: readFileSync(join(root, "pkg/web/tactful_bg.wasm")) });
const BUILDS = [
  ["the Node build (pkg/node, for speed)", require(join(root, "pkg/node/tactful.js"))],
  ["the web build (pkg/web, for size)", web],
];

// Where cargo puts CARGO_TARGET_TMPDIR: <target dir>/tmp, the target dir being CARGO_TARGET_DIR
// (relative to the working directory, as cargo reads it) or target/ in the project.
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, "target");
const exportDir = join(targetDir, "tmp", "cases");
const manifestPath = join(exportDir, "manifest.json");

/// Where two texts first differ, with a little of each around it, for a failure message.
function firstDifference(wasm, native) {
  let i = 0;
  while (i < wasm.length && i < native.length && wasm[i] === native[i]) i++;
  const around = (s) => JSON.stringify(s.slice(Math.max(0, i - 40), i + 40));
  return `first difference at offset ${i} (wasm ${wasm.length} chars, native ${native.length})\n  wasm:   ${around(wasm)}\n  native: ${around(native)}`;
}

/// The same value, with its keys in the same order: deepEqual, and the JSON text of both.
function sameObject(actual, expected, where) {
  assert.deepEqual(actual, expected, where);
  const [a, b] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== b) assert.fail(`${where}: key order differs: ${firstDifference(a, b)}`);
}

function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/// Replays one exported case through one build, carrying memory exactly as tests/cases.rs does;
/// returns the counts.
function replay(name, { Engine, recordEvent }) {
  const engine = Engine.fromBytes(new Uint8Array(readFileSync(join(exportDir, `${name}.snap`))));
  const { steps } = JSON.parse(readFileSync(join(exportDir, `${name}.json`), "utf8"));
  const counts = { steps: 0, decisions: 0, errors: 0, records: 0 };
  let memory = "";
  for (const op of steps) {
    // The context as JSON text (what the native engine read) and, where a JS value carries it
    // unchanged, as an object too (a number beyond 2^53 does not survive JSON.parse).
    const contexts = "decide" in op ? [op.decide] : [];
    if (contexts.length && JSON.stringify(JSON.parse(op.decide)) === op.decide) contexts.push(JSON.parse(op.decide));
    const where = `${name} step ${op.step}`;
    if ("record" in op) {
      memory = recordEvent(memory, op.record);
      assert.equal(memory, op.memory, `${where}: memory after recording ${JSON.stringify(op.record)}`);
      counts.records++;
    } else if ("decide" in op) {
      assert.equal(memory, op.memory, `${where}: the memory going in differs from the native harness's`);
      if ("error" in op) {
        for (const context of contexts) {
          const e = thrown(() => engine.decideJson(context, memory));
          assert.ok(e instanceof Error, `${where}: expected ContextError ${op.error}, got ${e ?? "a decision"}`);
          assert.equal(e.name, "ContextError", `${where}: ${e.message}`);
          assert.equal(e.code, op.error, `${where}: ${e.message}`);
        }
        counts.errors++;
      } else {
        const text = engine.decideJson(op.decide, memory);
        if (text !== op.output) assert.fail(`${where}: decideJson differs from the native engine: ${firstDifference(text, op.output)}`);
        const native = JSON.parse(op.output);
        // `decide` builds its object from the decision's tape, not from this text: the same
        // object, key order included (what a host's JSON.stringify of it, a log line, shows).
        for (const context of contexts) sameObject(engine.decide(context, memory), native, `${where}: decide`);
        // Its words, and the decision with the shown offers' text, byte for byte too.
        const words = engine.explainJson(op.decide, memory);
        if (words !== op.explanation) assert.fail(`${where}: explainJson differs from the native engine: ${firstDifference(words, op.explanation)}`);
        for (const context of contexts) assert.deepEqual(engine.explain(context, memory), JSON.parse(op.explanation), `${where}: explain`);
        const copied = engine.decideJson(op.decide, memory, { copy: true });
        if (copied !== op.copied) assert.fail(`${where}: decideJson with copy differs from the native engine: ${firstDifference(copied, op.copied)}`);
        for (const context of contexts) {
          sameObject(engine.decide(context, memory, { copy: true }), JSON.parse(op.copied), `${where}: decide with copy`);
          for (const options of [{ recordImpressions: true }, { decisionRecord: true }, { copy: true, recordImpressions: true }]) {
            const text = engine.decideJson(context, memory, options);
            sameObject(engine.decide(context, memory, options), JSON.parse(text), `${where}: decide with ${JSON.stringify(options)}`);
          }
        }
        memory = native.memory;
        counts.decisions++;
      }
    } else {
      memory = op.memory;
    }
    counts.steps++;
  }
  return { counts, exported: steps.length };
}

for (const [build, engine] of BUILDS) test(`every case file decides byte for byte as the native engine: ${build}`, (t) => {
  assert.ok(existsSync(manifestPath), `no case export at ${exportDir}: run cargo test --test cases first`);
  const { cases } = JSON.parse(readFileSync(manifestPath, "utf8"));
  // The export is whole and current: one exported case per case file, no more, no fewer.
  const caseFiles = readdirSync(join(root, "tests/cases"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
  assert.deepEqual(cases.map((c) => c.name).sort(), caseFiles, "the export does not match tests/cases/*.json: run cargo test --test cases again");

  const total = { steps: 0, decisions: 0, errors: 0, records: 0 };
  let expected = 0;
  for (const { name, steps } of cases) {
    const { counts, exported } = replay(name, engine);
    assert.equal(exported, steps, `${name}: the manifest says ${steps} steps, the case file holds ${exported}`);
    assert.equal(counts.steps, steps, `${name}: compared ${counts.steps} of ${steps} steps`);
    for (const k of Object.keys(total)) total[k] += counts[k];
    expected += steps;
  }
  assert.equal(total.steps, expected);
  assert.ok(total.steps > 0 && total.decisions > 0, "the export holds no decision to compare");
  t.diagnostic(
    `${cases.length} cases, ${total.steps} steps: ${total.decisions} decisions byte for byte, ${total.errors} context errors, ${total.records} records`,
  );
});
