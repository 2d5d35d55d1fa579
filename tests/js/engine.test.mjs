// The npm package as a program would use it: the built pkg/ (Node build), the sample snapshot,
// the same contexts the native CLI decides. Run by ./build.sh test after the build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(import.meta.url);
/** Version 3 memory with its header intact: what a later tactful may write (see tests/bad_memory.rs). */
const NEWER_MEMORY = "AwAAz3N2lWEgbGF0ZXIgdmVyc2lvbidzIG1lbW9yeQ";
/** One decision's memory of the store `another-store`. */
const OTHER_STORE_MEMORY = "Aj2e-WFfcQEAAAA";
const { Engine, recordEvent, parseMemory, mergeMemory, memorySize } = require(join(root, "pkg/node/tactful.js"));
const snapshotPath = join(root, "out/inkwell-studio.snap");
const bytes = new Uint8Array(readFileSync(snapshotPath));
const contexts = ["checkout", "lesson-completed", "lesson-in-progress"].map((name) => ({
  name,
  path: join(root, "www/sample-store/contexts", `${name}.json`),
}));

function expectError(fn, name, code) {
  let thrown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof Error, `expected an Error, got ${thrown}`);
  assert.equal(thrown.name, name, thrown.message);
  assert.equal(thrown.code, code, thrown.message);
  return thrown;
}

test("loads the sample snapshot and describes it", () => {
  const info = Engine.fromBytes(bytes).info();
  assert.equal(info.storeId, "inkwell-studio");
  assert.equal(info.formatVersion, 5);
  assert.equal(info.engineFormatVersion, 5);
  assert.equal(info.offers, 13);
  assert.match(info.snapshotId, /^inkwell-studio@[0-9a-f]{12}$/);
});

test("fromBytes takes a Uint8Array, a Buffer or an ArrayBuffer, and refuses anything else", () => {
  const id = Engine.fromBytes(bytes).info().snapshotId;
  assert.equal(Engine.fromBytes(readFileSync(snapshotPath)).info().snapshotId, id);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  assert.equal(Engine.fromBytes(buffer).info().snapshotId, id);
  for (const wrong of ["snapshot", 42, null, undefined, [1, 2, 3], new DataView(buffer)]) {
    const e = expectError(() => Engine.fromBytes(wrong), "SnapshotError", "snapshot.not_bytes");
    assert.match(e.message, /Uint8Array or an ArrayBuffer/);
  }
});

test("a server host that records the impressions it hands out keeps the per-session cap", () => {
  const engine = Engine.fromBytes(bytes);
  const context = JSON.parse(readFileSync(contexts[0].path, "utf8")); // checkout: per_session = 2
  const shownOver = (options) => {
    let memory = "";
    let shown = 0;
    for (let i = 0; i < 5; i++) {
      const decided = engine.decide({ ...context, now: context.now + i * 60_000 }, memory, options);
      shown += decided.decision.offers.length;
      memory = decided.memory;
    }
    return shown;
  };
  assert.equal(shownOver({ recordImpressions: true }), 2, "the cap counts what the host showed");
  assert.equal(shownOver(undefined), 5, "without recording, nothing counts toward the cap");
  // Options are read as truthy or not, from any object: a getter that throws, null or a
  // primitive reads as "not asked for", never as an error.
  const throwing = { get recordImpressions() { throw new Error("no"); } };
  assert.equal(shownOver(throwing), 5);
  assert.equal(shownOver(null), 5);
  assert.equal(shownOver(true), 5);
  assert.equal(shownOver(Object.create({ recordImpressions: 1 })), 2, "an inherited option counts");
  // The same as the CLI's --record-impressions, byte for byte.
  const native = execFileSync(
    join(root, "target/release/tactful"),
    ["decide", snapshotPath, "--context", contexts[0].path, "--record-impressions"],
    { encoding: "utf8" },
  ).trim();
  assert.equal(engine.decideJson(context, "", { recordImpressions: true }), native);
});

test("decides exactly as the native engine does", () => {
  const engine = Engine.fromBytes(bytes);
  for (const { name, path } of contexts) {
    const context = JSON.parse(readFileSync(path, "utf8"));
    const wasm = engine.decide(context, "");
    const native = JSON.parse(execFileSync(join(root, "target/release/tactful"), ["decide", snapshotPath, "--context", path]));
    assert.deepEqual(wasm, native, name);
  }
});

test("decide builds the object decideJson's text parses to, words in any script included", () => {
  const engine = Engine.fromBytes(bytes);
  const context = JSON.parse(readFileSync(contexts[0].path, "utf8"));
  // The shopper key comes back in the exposure, and an unknown item's id in a warning's
  // message: strings of one, two, three and four UTF-8 bytes per character (JavaScript counts
  // the last as two), beside the copy's words.
  const unusual = {
    ...context,
    shopperKey: "shopper-é-€-😀-end",
    cart: [...context.cart, "pack-ünknown-🙂"],
  };
  let compared = 0;
  for (const ctx of [context, unusual]) {
    for (const options of [undefined, { copy: true }, { recordImpressions: true }, { decisionRecord: true }]) {
      const built = engine.decide(ctx, "", options);
      const parsed = JSON.parse(engine.decideJson(ctx, "", options));
      assert.deepEqual(built, parsed);
      assert.equal(JSON.stringify(built), JSON.stringify(parsed), "key order");
      compared++;
    }
  }
  const { decision } = engine.decide(unusual, "", { copy: true });
  assert.equal(decision.exposure.shopperKey, "shopper-é-€-😀-end");
  assert.ok(decision.warnings.some((w) => w.message.includes("pack-ünknown-🙂")), JSON.stringify(decision.warnings));
  assert.ok(decision.offers[0].text.title.length > 0);
  assert.equal(compared, 8);
});

test("checkout shows at most one offer, and a dismissal keeps it away", () => {
  const engine = Engine.fromBytes(bytes);
  const context = JSON.parse(readFileSync(contexts[0].path, "utf8"));
  const first = engine.decide(context, "");
  assert.ok(first.decision.offers.length <= 1);
  const shown = first.decision.offers[0].offerId;
  const memory = engine.record(first.memory, { type: "dismiss", offerId: shown, at: context.now + 1000 });
  const next = engine.decide({ ...context, now: context.now + 86_400_000 }, memory);
  assert.ok(!next.decision.offers.some((o) => o.offerId === shown));
  assert.equal(next.decision.leftOut.find((l) => l.offerId === shown).reason, "cooling_down");
});

test("engine.record refuses an offer its snapshot does not have, as `tactful record --snapshot` does", () => {
  const engine = Engine.fromBytes(bytes);
  const event = { type: "dismiss", offerId: "creator-tolkit", at: 1763726400000 };
  const error = expectError(() => engine.record("", event), "MemoryError", "memory.bad_event");
  assert.equal(error.path, "offerId");
  assert.match(error.message, /offer `creator-tolkit` is not in the snapshot inkwell-studio@[0-9a-f]{12}; nothing was recorded/);
  const cli = spawnSync(join(root, "target/release/tactful"), ["record", "--event", JSON.stringify(event), "--snapshot", snapshotPath], { encoding: "utf8" });
  assert.equal(cli.status, 3);
  assert.match(cli.stderr, /offer `creator-tolkit` is not in the snapshot inkwell-studio@[0-9a-f]{12} \(did you mean `creator-toolkit`\?\); nothing was recorded/);
  // Without a store (recordEvent, `tactful record` alone) it is recorded: nothing to check by.
  assert.ok(recordEvent("", event).length > 0);
  assert.ok(engine.record("", { ...event, offerId: "creator-toolkit" }).length > 0);
});

test("bad snapshots throw SnapshotError with a code", () => {
  expectError(() => Engine.fromBytes(new Uint8Array([1, 2, 3])), "SnapshotError", "snapshot.too_short");
  const wrongMagic = bytes.slice();
  wrongMagic[0] = 0x58;
  expectError(() => Engine.fromBytes(wrongMagic), "SnapshotError", "snapshot.bad_magic");
  const newer = bytes.slice();
  newer[4] = 9;
  const e = expectError(() => Engine.fromBytes(newer), "SnapshotError", "snapshot.newer_version");
  assert.match(e.message, /version 9/);
  const flipped = bytes.slice();
  flipped[bytes.length - 5] ^= 0x10;
  expectError(() => Engine.fromBytes(flipped), "SnapshotError", "snapshot.checksum");
  expectError(() => Engine.fromBytes(bytes.slice(0, bytes.length - 1)), "SnapshotError", "snapshot.length");
});

test("bad contexts throw ContextError naming the field", () => {
  const engine = Engine.fromBytes(bytes);
  const good = { surface: "checkout", now: 1763726400000, shopperKey: "k" };
  let e = expectError(() => engine.decide({ ...good, colour: "red" }, ""), "ContextError", "context.json");
  assert.match(e.message, /colour/);
  e = expectError(() => engine.decide({ ...good, events: [{ name: "view_item", labl: "x" }] }, ""), "ContextError", "context.json");
  assert.equal(e.path, "events[0].labl");
  e = expectError(() => engine.decide({ ...good, surface: "sidebar" }, ""), "ContextError", "context.json");
  assert.equal(e.path, "surface");
  // A missing field is named by its path.
  e = expectError(() => engine.decide({ now: 1763726400000, shopperKey: "k" }, ""), "ContextError", "context.json");
  assert.equal(e.path, "surface");
  e = expectError(() => engine.decide({ ...good, facts: { refund: 1 } }, ""), "ContextError", "context.unknown_fact");
  assert.equal(e.path, "facts.refund");
  expectError(() => engine.decide({ ...good, now: 12 }, ""), "ContextError", "context.time");
  expectError(() => engine.decide(null, ""), "ContextError", "context.json");
  expectError(() => engine.decide("checkout", ""), "ContextError", "context.json");
  // What a host can get wrong about the value itself is said in its words, not a reader's.
  e = expectError(() => engine.decide(undefined, ""), "ContextError", "context.json");
  assert.equal(e.message, "context: no context was given (undefined): give it as a plain object, or as its JSON text");
  assert.equal(e.path, "");
  e = expectError(() => engine.decide({ ...good, now: 1763726400000n }, ""), "ContextError", "context.json");
  assert.equal(e.message, "context: the context has no JSON form (it holds a BigInt, contains itself, or is a function): give it as a plain object, or as its JSON text");
  const cyclic = { ...good };
  cyclic.self = cyclic;
  e = expectError(() => engine.decide(cyclic, ""), "ContextError", "context.json");
  assert.match(e.message, /has no JSON form/);
  e = expectError(() => engine.decide(() => good, ""), "ContextError", "context.json");
  assert.match(e.message, /has no JSON form/);
  // A string is taken as JSON text; one that only starts like `null` is not named `null`.
  e = expectError(() => engine.decide("nope", ""), "ContextError", "context.json");
  assert.equal(e.message, "context: expected ident at line 1 column 2");
});

test("bad memory never throws from decide, and bad events throw MemoryError", () => {
  const engine = Engine.fromBytes(bytes);
  const context = { surface: "checkout", now: 1763726400000, shopperKey: "k", cart: ["course-foundations"] };
  const { decision, memory } = engine.decide(context, "!!! not memory");
  assert.deepEqual(decision.warnings.map((w) => w.code), ["memory.not_base64"]);
  assert.equal(parseMemory(memory), memory);
  expectError(() => parseMemory("AQ"), "MemoryError", "memory.corrupt");
  expectError(() => recordEvent("", { type: "dismiss", at: 1763726400000 }), "MemoryError", "memory.bad_event");
  expectError(() => recordEvent("", { type: "wave", offerId: "x", at: 1763726400000 }), "MemoryError", "memory.bad_event");
  // An event that is not an object names no field.
  const notAnObject = expectError(() => recordEvent("", null), "MemoryError", "memory.bad_event");
  assert.equal(notAnObject.path, "");
  assert.match(notAnObject.message, /^event: invalid type: null/);
  const missing = expectError(() => engine.record("", undefined), "MemoryError", "memory.bad_event");
  assert.equal(missing.message, "event: no event was given (undefined): give it as a plain object, or as its JSON text");
  // Memory from a newer version is refused, never overwritten; a changed byte fails the
  // checksum and is replaced.
  expectError(() => recordEvent(NEWER_MEMORY, { type: "dismiss", offerId: "x", at: 1763726400000 }), "MemoryError", "memory.newer_version");
  expectError(() => parseMemory("AgAAAAAAAA"), "MemoryError", "memory.checksum");
  // Another store's memory is any store's to parseMemory, but not to this store's engine.
  assert.equal(parseMemory(OTHER_STORE_MEMORY), OTHER_STORE_MEMORY);
  expectError(() => engine.parseMemory(OTHER_STORE_MEMORY), "MemoryError", "memory.other_store");
  const fromOther = engine.decide(context, OTHER_STORE_MEMORY);
  assert.deepEqual(fromOther.decision.warnings.map((w) => w.code), ["memory.other_store"]);
  assert.equal(engine.parseMemory(fromOther.memory), fromOther.memory, "the new memory is this store's");
});

test("memory merges without losing a dismissal", () => {
  const at = 1763726400000;
  const tab = recordEvent("", { type: "dismiss", offerId: "creator-toolkit", at });
  const edge = recordEvent("", { type: "impression", offerId: "workbook-addon", surface: "cart", at: at + 5 });
  const merged = mergeMemory(tab, edge);
  assert.equal(mergeMemory(edge, tab), merged);
  assert.equal(mergeMemory(merged, merged), merged);
  assert.ok(memorySize(merged) > memorySize(tab));
  const engine = Engine.fromBytes(bytes);
  const next = engine.decide({ surface: "checkout", now: at + 60_000, shopperKey: "k", cart: ["course-foundations"] }, merged);
  assert.equal(next.decision.leftOut.find((l) => l.offerId === "creator-toolkit")?.reason, "cooling_down");
  // An unreadable copy counts as empty; memory from a newer engine is never overwritten.
  assert.equal(mergeMemory(tab, "!!! not memory"), parseMemory(tab));
  assert.equal(mergeMemory(NEWER_MEMORY, tab), NEWER_MEMORY);
  assert.equal(mergeMemory(tab, NEWER_MEMORY), NEWER_MEMORY);
  // What a host does with a copy it found is the engine's call: read it, start fresh, or keep
  // it untouched (newer).
  assert.deepEqual({ ...engine.openMemory(tab), problem: null }, { memory: engine.parseMemory(tab), keep: false, problem: null });
  const newer = engine.openMemory(NEWER_MEMORY);
  assert.equal(newer.keep, true);
  assert.equal(newer.memory, "");
  assert.equal(newer.problem.code, "memory.newer_version");
  const foreign = engine.openMemory(OTHER_STORE_MEMORY);
  assert.deepEqual([foreign.keep, foreign.memory, foreign.problem.code], [false, "", "memory.other_store"]);
  assert.equal(engine.openMemory("AgAAAAAAAA").problem.name, "MemoryError");
  // The engine's own merge drops another store's copy.
  assert.equal(engine.mergeMemory(tab, OTHER_STORE_MEMORY), engine.parseMemory(tab));
  assert.equal(engine.mergeMemory(tab, edge), merged);
});

test("no input traps the module", () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const engine = Engine.fromBytes(bytes);
  for (let i = 0; i < 300; i++) {
    const junk = new Uint8Array(Math.floor(random() * 64)).map(() => Math.floor(random() * 256));
    const damaged = bytes.slice();
    damaged[Math.floor(random() * damaged.length)] ^= 1 << Math.floor(random() * 8);
    for (const input of [junk, damaged, bytes.slice(0, Math.floor(random() * bytes.length))]) {
      try {
        Engine.fromBytes(input);
      } catch (e) {
        assert.equal(e.name, "SnapshotError");
      }
    }
    const memory = Array.from({ length: Math.floor(random() * 40) }, () => "AQ-_zZ09!"[Math.floor(random() * 9)]).join("");
    engine.decide({ surface: "checkout", now: 1763726400000, shopperKey: `k${i}` }, memory);
  }
  // The module still works after all of that.
  assert.equal(engine.info().storeId, "inkwell-studio");
});

test("the exposure is the v1 log record: JSON.stringify of it is the engine's own bytes, and the CLI's --log line", () => {
  const engine = Engine.fromBytes(bytes);
  const dir = mkdtempSync(join(tmpdir(), "tactful-js-log-"));
  try {
    for (const { name, path } of contexts) {
      const context = JSON.parse(readFileSync(path, "utf8"));
      const { decision } = engine.decide(context, "");
      const line = JSON.stringify(decision.exposure);
      assert.equal(decision.exposure.type, "exposure", name);
      assert.equal(decision.exposure.v, 1, name);
      assert.equal(decision.exposure.shopperKey, context.shopperKey, name);
      assert.ok(engine.decideJson(context, "").includes(`"exposure":${line}`), `${name}: the engine wrote ${line}`);
      const log = join(dir, `${name}.jsonl`);
      execFileSync(join(root, "target/release/tactful"), ["decide", snapshotPath, "--context", path, "--log", log], { stdio: "ignore" });
      assert.equal(readFileSync(log, "utf8"), `${line}\n`, name);
      // Opted in: the decision record, with the context read and the memory decided from.
      const memory = engine.decide(context, "").memory;
      const record = engine.decide(context, memory, { decisionRecord: true }).decision.exposure;
      assert.equal(record.type, "decision");
      assert.deepEqual(record.context, context, `${name}: the context as the engine read it`);
      assert.equal(record.memory, memory);
      assert.deepEqual(Object.keys(record).slice(0, -2), Object.keys(decision.exposure));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // A bad context is refused as ever, record or not.
  expectError(() => engine.decide({ surface: "checkout", now: 1, shopperKey: "k" }, "", { decisionRecord: true }), "ContextError", "context.time");
});

test("strings cross into the module as UTF-8, byte for byte, whatever characters they hold", () => {
  const engine = Engine.fromBytes(bytes);
  // A text fact is 1 to 256 bytes; the context's JSON around it is ASCII up to the fact.
  const texts = [
    "pro",
    "é",
    "café au lait",
    "日本語のプラン",
    "🎉 party",
    "a🎉b🎉c",
    "x".repeat(254) + "é",
    "é".repeat(128),
    "\u{10FFFF}\u007f\u0080\u07ff\u0800\uffff",
  ];
  for (const text of texts) {
    // Decided with the decision record, which carries the context as the engine read it: the
    // text crosses inside the context's JSON, one string, and comes back in the record.
    const context = { surface: "checkout", now: 1763726400000, shopperKey: "utf8-shopper", cart: ["course-foundations"], facts: { plan: text } };
    const record = engine.decide(context, "", { decisionRecord: true }).decision.exposure;
    assert.equal(record.context.facts.plan, text, JSON.stringify(text));
  }
  // A lone surrogate: JSON.stringify escapes it, and the engine's JSON reader refuses the
  // escape by name; raw in a context given as text, it crosses as U+FFFD (as TextEncoder and
  // wasm-bindgen's own copy write it).
  const lone = { surface: "checkout", now: 1763726400000, shopperKey: "utf8-shopper", facts: { plan: "lone \ud800 x" } };
  expectError(() => engine.decide(lone, ""), "ContextError", "context.json");
  const raw = JSON.stringify({ ...lone, facts: { plan: "PLAN" } }).replace("PLAN", "lone \ud800 x");
  assert.equal(engine.decide(raw, "", { decisionRecord: true }).decision.exposure.context.facts.plan, "lone \ufffd x");
  // Bytes, not characters, are what limits count: 257 bytes in 129 characters is refused.
  const over = { surface: "checkout", now: 1763726400000, shopperKey: "utf8-shopper", facts: { plan: "x" + "é".repeat(128) } };
  expectError(() => engine.decide(over, ""), "ContextError", "context.text");
});
