// The package as a store's developer gets it: `npm pack` of the built pkg/, installed into a
// scratch project, imported by its name from CommonJS and from an ES module, and its
// declarations type-checked by tsc against a usage file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertPrinted, snippet } from "../common/snippets.mjs";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const snapshot = join(root, "out/inkwell-studio.snap");
const checkout = join(root, "www/sample-store/contexts/checkout.json");
const tsc = join(here, "node_modules/.bin/tsc");
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

const program = (load) => `${load}
const bytes = new Uint8Array(require("node:fs").readFileSync(${JSON.stringify(snapshot)}));
const engine = Engine.fromBytes(bytes);
const context = JSON.parse(require("node:fs").readFileSync(${JSON.stringify(checkout)}, "utf8"));
const { decision, memory } = engine.decide(context, "");
let error;
try { engine.decide({ surface: "checkout", now: 1763726400000, shopperKey: "pack", colour: 1 }, ""); } catch (e) { error = e; }
console.log(JSON.stringify({ store: engine.info().storeId, offers: decision.offers.length, memory: memorySize(memory) > 0, error: [error.name, error.code] }));
`;

const usage = `import init, { Engine, mergeMemory, recordEvent, type Context, type Decision, type TactfulError } from "tactful";
import wasm from "tactful/tactful_bg.wasm";
const compiled: WebAssembly.Module = wasm;
const ready: Promise<void> = init();
declare const bytes: Uint8Array;
const engine: Engine = Engine.fromBytes(bytes);
const context: Context = { surface: "in_product", now: Date.now(), shopperKey: "k", events: [{ name: "lesson_completed", label: "lesson 3" }] };
const decided = engine.decide(context, null);
const decision: Decision = decided.decision;
const first: string | undefined = decision.offers[0]?.text?.copy;
const play: "assist" | "expand" | "commit" | "protect" = decision.play;
const memory: string = recordEvent(decided.memory, { type: "dismiss", offerId: "x", at: Date.now() });
const merged: string = mergeMemory(memory, decided.memory);
try { engine.decide(context); } catch (e) { const code: string = (e as TactfulError).code; void code; }
void first; void play; void merged; void compiled; void ready;
`;

test("the packed package installs and works by its name, in CommonJS, ESM and TypeScript", () => {
  const work = mkdtempSync(join(tmpdir(), "tactful-pack-"));
  try {
    run("npm", ["pack", join(root, "pkg"), "--pack-destination", work, "--silent"], root);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    assert.ok(tarball, "npm pack wrote a tarball");
    const app = join(work, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
    run("npm", ["install", "--no-audit", "--no-fund", join(work, tarball)], app);

    const expected = { store: "inkwell-studio", offers: 1, memory: true, error: ["ContextError", "context.json"] };
    writeFileSync(join(app, "main.cjs"), program(`const { Engine, memorySize } = require("tactful");`));
    assert.deepEqual(JSON.parse(run("node", ["main.cjs"], app)), expected);
    writeFileSync(join(app, "main.mjs"), `import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
import init, { Engine, memorySize } from "tactful";
await init(); // nothing to do under Node, as browser code expects to call it
${program("")}`);
    assert.deepEqual(JSON.parse(run("node", ["main.mjs"], app)), expected);
    // The card's stylesheet ships as tactful/card.css: the contract's CARD_CSS as a file, headed
    // by a comment naming every custom property that themes it, each with the default the
    // stylesheet uses.
    const cardCss = JSON.parse(run("node", ["--input-type=module", "-e", `import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { CARD_CSS, CARD_CSS_VARIABLES } from "tactful/contract";
const file = readFileSync(createRequire(import.meta.url).resolve("tactful/card.css"), "utf8");
console.log(JSON.stringify({ file, CARD_CSS, CARD_CSS_VARIABLES }));`], app));
    assert.ok(cardCss.file.endsWith(cardCss.CARD_CSS.trimStart()));
    const used = Object.fromEntries([...cardCss.CARD_CSS.matchAll(/var\((--tactful-[a-z-]+), ([^)]+)\)/g)].map(([, name, value]) => [name, value]));
    const documented = Object.fromEntries(Object.entries(cardCss.CARD_CSS_VARIABLES).map(([name, [value]]) => [name, value]));
    assert.deepEqual(used, documented, "the stylesheet reads exactly the documented custom properties, with their defaults");
    for (const name of Object.keys(documented)) assert.match(cardCss.file.split("*/")[0], new RegExp(`^   ${name}: `, "m"));
    // The embed leaves the list out of its bundle (it never imports it).
    assert.doesNotMatch(readFileSync(join(app, "node_modules/tactful/embed/embed.js"), "utf8"), /the card's background/);
    // Node's ES module entry exports every name of the CommonJS build, over the same instance.
    const names = JSON.parse(run("node", ["--input-type=module", "-e", `import * as esm from "tactful";
import { createRequire } from "node:module";
const cjs = createRequire(import.meta.url)("tactful");
console.log(JSON.stringify({ esm: Object.keys(esm).filter((k) => k !== "default").sort(), cjs: Object.keys(cjs).sort(), same: esm.Engine === cjs.Engine }));`], app));
    assert.deepEqual(names.esm, names.cjs.filter((k) => k !== "start"));
    assert.equal(names.same, true);

    // The edge entry, as workerd and edge-light resolve the package: it takes a compiled
    // WebAssembly.Module (importable as "tactful/tactful_bg.wasm") and refuses raw bytes.
    writeFileSync(join(app, "edge.mjs"), `import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { init, Engine, memorySize } from "tactful";
const require = createRequire(import.meta.url);
const wasm = readFileSync(require.resolve("tactful/tactful_bg.wasm"));
let refused;
try { init(new Uint8Array(wasm)); } catch (e) { refused = [e.name, e.code]; }
init(new WebAssembly.Module(wasm));
${program("")}`.replace("console.log(JSON.stringify({", "console.log(JSON.stringify({ refused,"));
    assert.deepEqual(JSON.parse(run("node", ["--conditions=workerd", "edge.mjs"], app)), { refused: ["TypeError", "init.not_a_module"], ...expected });
    // Without the condition the same import is the Node build, whose init() does nothing.
    assert.deepEqual(JSON.parse(run("node", ["edge.mjs"], app)), expected);

    writeFileSync(join(app, "usage.ts"), usage);
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
      compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, types: [] },
      files: ["usage.ts"],
    }));
    run(tsc, ["-p", app], app);
    // The browser declarations type-check with the DOM library.
    // (--ignoreConfig: tsc refuses files on its command line when it finds the app's tsconfig.)
    const installed = join(app, "node_modules/tactful");
    run(tsc, ["--ignoreConfig", "--noEmit", "--strict", "--lib", "es2022,dom", "--types", "", "web.d.ts", "edge.d.ts", "edge-worker.d.ts", "embed.d.ts", "contract.d.ts"], installed);
    // The contract the embed and the edge worker share resolves as "tactful/contract", and the
    // embed carries the same values (bundled in): a change to one reaches both.
    const contract = JSON.parse(run("node", ["--input-type=module", "-e", "const c = await import('tactful/contract'); console.log(JSON.stringify(c))"], app));
    assert.equal(contract.MEMORY_COOKIE, "tactful_mem");
    assert.equal(contract.CLASSES.offer, "tactful-offer");
    const bundled = readFileSync(join(installed, "embed/embed.js"), "utf8");
    for (const text of [contract.HEADINGS.checkout, contract.SID_COOKIE, contract.CLASSES.flow]) assert.ok(bundled.includes(text), text);
    assert.doesNotMatch(bundled, /from\s*"\.\/contract\.js"/, "the contract is bundled into the embed");
    // The embed script ships in the tarball and resolves as "tactful/embed"; its worker ships
    // next to it and imports the glue.
    const embed = run("node", ["--input-type=module", "-e", "console.log(import.meta.resolve('tactful/embed'))"], app).trim();
    assert.match(embed, /node_modules\/tactful\/embed\/embed\.js$/);
    assert.match(readFileSync(fileURLToPath(embed), "utf8"), /new Worker\(new URL\("\.\/embed-worker\.js",\s*import\.meta\.url\)/);
    assert.match(readFileSync(join(installed, "embed/embed-worker.js"), "utf8"), /from\s*"\.\.\/web\/tactful\.js"/);
    // The storefront worker's factory resolves as "tactful/edge", and refuses bad options when
    // it is called (under Node too: only its requests need a worker runtime).
    const factory = JSON.parse(run("node", ["--input-type=module", "-e", `import { createEdgeWorker, MAX_EVENT_BYTES } from "tactful/edge";
let error;
try { createEdgeWorker({}); } catch (e) { error = [e.name, e.code, e.path]; }
console.log(JSON.stringify({ error, MAX_EVENT_BYTES }));`], app));
    assert.deepEqual(factory, { error: ["OptionsError", "options.type", "wasm"], MAX_EVENT_BYTES: 4096 });
    // The README's first offer and Node quick start, exactly as written, from the repository's
    // root layout (the snapshot at out/): each prints what its `// -> ` comments say.
    mkdirSync(join(app, "out"));
    writeFileSync(join(app, "out/inkwell-studio.snap"), readFileSync(snapshot));
    for (const block of [snippet("first-offer"), snippet("node-quick-start")]) {
      writeFileSync(join(app, `${block.name}.cjs`), block.code);
      assertPrinted(block, run("node", [`${block.name}.cjs`], app));
    }
    // The npm README's, with the snapshot beside the app (what it says), as installed.
    writeFileSync(join(app, "inkwell-studio.snap"), readFileSync(snapshot));
    const npmReadme = snippet("npm-first-offer");
    assert.equal(readFileSync(join(app, "node_modules/tactful/README.md"), "utf8").includes(npmReadme.code), true, "the tarball's README is the one tested");
    writeFileSync(join(app, "npm-first-offer.cjs"), npmReadme.code);
    assertPrinted(npmReadme, run("node", ["npm-first-offer.cjs"], app));
    // And a wrong use is refused: the check can fail.
    writeFileSync(join(app, "usage.ts"), `${usage}\nconst wrong: number = decision.play;\n`);
    assert.throws(() => run(tsc, ["-p", app], app));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
