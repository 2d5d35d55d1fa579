// The code blocks that README.md and the pages under www/docs/ show, for the tests that run
// them exactly as written.
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
// tests/js/docs.test.mjs holds every block to that: each must be named, each name unique, and
// each name taken by some test under tests/, so the docs cannot show a block nothing runs.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** README.md and every Markdown page under www/docs/, as paths relative to the root. */
export function docFiles() {
  const pages = readdirSync(join(root, "www/docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `www/docs/${name}`);
  return ["README.md", ...pages];
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
 * What a block says it prints: the text after the last `// -> ` (JS) or `# -> ` (shell)
 * comment line, and the comment lines that continue it with the same indentation.
 */
export function promisedOutput(block) {
  const lines = block.code.trimEnd().split("\n");
  const start = lines.findLastIndex((line) => /^\s*(\/\/|#) -> /.test(line));
  if (start < 0) throw new Error(`${block.file}:${block.line}: the block "${block.name}" promises no output`);
  const prefix = lines[start].match(/^\s*(\/\/|#) /)[0];
  const out = [lines[start].slice(prefix.length + 3)];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(`${prefix}   `)) break;
    out.push(line.slice(prefix.length + 3));
  }
  return out.join("\n");
}
