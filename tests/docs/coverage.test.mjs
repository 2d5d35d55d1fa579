// The docs hold together: every code block is named and run by a test, every link in them
// leads somewhere, and the layout they describe is the repository's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { allSnippets, docFiles, root, snippet } from "../common/snippets.mjs";

/** Every file under tests/ that could run a snippet (its own sources, not installed packages). */
function testSources(dir = join(root, "tests")) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === "node_modules" || entry.name === "target") return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testSources(path);
    return /\.(mjs|js|rs)$/.test(entry.name) ? [path] : [];
  });
}

test("every code block in the README and www/docs/ is named and taken by a test", () => {
  const blocks = allSnippets();
  assert.ok(blocks.length >= 15, `found ${blocks.length} blocks`);
  const unnamed = blocks.filter((b) => !b.name).map((b) => `${b.file}:${b.line}`);
  assert.deepEqual(unnamed, [], "blocks without a <!-- snippet: name --> line before their fence");
  const names = blocks.map((b) => b.name);
  assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [], "names used twice");
  // A block is taken when some test source names it as snippet("name").
  const sources = testSources().map((file) => readFileSync(file, "utf8")).join("\n");
  const untaken = names.filter((name) => !sources.includes(`snippet("${name}")`));
  assert.deepEqual(untaken, [], "blocks no test runs");
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, "").replace(/ /g, "-");

function anchorsOf(file) {
  let inCode = false;
  const anchors = new Set();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("```")) inCode = !inCode;
    const heading = !inCode && line.match(/^#{1,6} (.*)$/);
    if (heading) anchors.add(anchor(heading[1]));
  }
  return anchors;
}

test("every relative link in the docs leads to a file, and every #anchor to a heading", () => {
  const broken = [];
  for (const file of docFiles()) {
    const text = readFileSync(join(root, file), "utf8").replace(/```[\s\S]*?```/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
      const [path, hash] = target.split("#");
      const resolved = path ? join(root, dirname(file), path) : join(root, file);
      if (!existsSync(resolved)) {
        broken.push(`${file}: ${target} (no such file)`);
        continue;
      }
      if (hash && (!statSync(resolved).isFile() || !anchorsOf(resolved).has(hash))) {
        broken.push(`${file}: ${target} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

test("the layout the contributing page shows is the repository's", () => {
  const block = snippet("layout");
  const paths = block.code.split("\n").map((line) => line.match(/^(\S+)\s{2,}/)?.[1]).filter(Boolean);
  assert.ok(paths.length > 20, `read ${paths.length} paths`);
  assert.deepEqual(paths.filter((path) => !existsSync(join(root, path))), [], "paths the layout names that do not exist");
});

test("the limits the JavaScript hosts keep are in the files the limits page names, with its values", () => {
  const rows = readFileSync(join(root, "www/docs/limits.md"), "utf8")
    .split("\n")
    .map((line) => line.match(/^\| [^|]+ \| [^|]+ \| ([\d,]+) \| `(\w+)` \(([^)]+)\) \|$/))
    .filter(Boolean);
  assert.ok(rows.length >= 8, `read ${rows.length} rows`);
  for (const [, value, name, file] of rows) {
    const source = readFileSync(join(root, file), "utf8");
    const defined = source.match(new RegExp(`(?:const|let) ${name} = ([^;]+);`));
    assert.ok(defined, `${file} defines ${name}`);
    // Values are written as literals or as products (2 * 1024 * 1024).
    const actual = defined[1].split("*").reduce((product, factor) => product * Number(factor.trim()), 1);
    assert.equal(actual, Number(value.replaceAll(",", "")), `${name} in ${file}`);
  }
});
