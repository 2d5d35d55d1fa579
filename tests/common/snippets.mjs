// The code blocks that README.md, the npm package's README and the pages under www/docs/
// show, for the tests that run them exactly as written.
//
// Every fenced block in those files is named by an HTML comment on the line before its fence,
// which a reader of the rendered page does not see:
//
//   <!-- snippet: first-offer -->
//   ```js
//   ...
//   ```
//
// A test takes a block with `snippet("first-offer")` and runs it (Node, Chromium, workerd, the
// CLI, the compiler: whatever the block is for), and checks what the docs say it prints.
// tests/docs/coverage.test.mjs holds every block to that: each must be named, each name unique, and
// each name taken by some test under tests/, so the docs cannot show a block nothing runs.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** README.md, the npm package's README and every page under www/docs/, relative to the root. */
export function docFiles() {
  const pages = readdirSync(join(root, "www/docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `www/docs/${name}`);
  return ["README.md", "pkg-config/README.md", ...pages];
}

const MARKER = /^<!-- snippet: ([a-z0-9][a-z0-9-]*) -->$/;

/**
 * Every fenced block of every doc file: `{ file, line, name, lang, code }`, where `name` is
 * the marker's name or `null` when the block has none, and `line` is the fence's line.
 */
export function allSnippets() {
  const blocks = [];
  for (const file of docFiles()) {
    const lines = readFileSync(join(root, file), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const open = lines[i].match(/^(```+)(\S*)\s*$/);
      if (!open) continue;
      const close = lines.findIndex((line, j) => j > i && line === open[1]);
      if (close < 0) throw new Error(`${file}:${i + 1}: a code block is never closed`);
      const name = i > 0 ? (lines[i - 1].match(MARKER)?.[1] ?? null) : null;
      blocks.push({ file, line: i + 1, name, lang: open[2], code: `${lines.slice(i + 1, close).join("\n")}\n` });
      i = close;
    }
  }
  return blocks;
}

/** The block named `name` (its code ends with a newline). Throws when there is not exactly one. */
export function snippet(name) {
  const found = allSnippets().filter((block) => block.name === name);
  if (found.length !== 1) throw new Error(`${found.length} doc blocks are named "${name}"`);
  return found[0];
}

/**
 * What a block says it prints, as a list of expectations in order: each `// -> ` (JS) or
 * `# -> ` (shell) comment line, with the comment lines after it that continue it with three
 * more spaces, is one expectation of consecutive output lines.
 */
export function promisedOutputs(block) {
  const lines = block.code.trimEnd().split("\n");
  const promises = [];
  for (let i = 0; i < lines.length; i++) {
    const head = lines[i].match(/^(\s*(?:\/\/|#) )-> (.*)$/);
    if (!head) continue;
    const expected = [head[2]];
    const more = `${head[1]}   `;
    while (i + 1 < lines.length && lines[i + 1].startsWith(more)) expected.push(lines[++i].slice(more.length));
    promises.push(expected);
  }
  if (promises.length === 0) throw new Error(`${block.file}:${block.line}: the block "${block.name}" promises no output`);
  return promises;
}

/**
 * Throws unless `output` holds every promised output of `block`, in order, each as consecutive
 * whole lines (trailing spaces ignored; `…` in a promise stands for any text within a line,
 * for figures such as a duration that vary from run to run).
 */
export function assertPrinted(block, output) {
  const lines = output.split("\n").map((line) => line.trimEnd());
  const pattern = (text) => new RegExp(`^${text.trimEnd().split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  let from = 0;
  for (const expected of promisedOutputs(block)) {
    const patterns = expected.map(pattern);
    let at = -1;
    for (let i = from; i + patterns.length <= lines.length && at < 0; i++) {
      if (patterns.every((re, k) => re.test(lines[i + k]))) at = i;
    }
    if (at < 0) {
      throw new Error(`${block.file}:${block.line}: "${block.name}" promises\n${expected.join("\n")}\nbut printed (from line ${from + 1}):\n${lines.slice(from).join("\n")}`);
    }
    from = at + patterns.length;
  }
}
