// Copies a JS file without its comment lines, for the files a page downloads (the embed and its
// worker): their comments are for people reading pkg-config/ and are a fifth of the gzip size.
// Only whole lines are dropped (`// ...` lines and `/** ... */` blocks that start a line), never
// text inside a line, so no string or regular expression can be cut.
//
//   node tests/js/strip.mjs in.js out.js
import { readFileSync, writeFileSync } from "node:fs";

const [input, output] = process.argv.slice(2);
const kept = [];
let inBlock = false;
for (const line of readFileSync(input, "utf8").split("\n")) {
  const trimmed = line.trim();
  if (!inBlock && trimmed.startsWith("/*")) inBlock = true;
  if (inBlock) {
    if (trimmed.endsWith("*/")) inBlock = false;
    continue;
  }
  if (!trimmed.startsWith("//")) kept.push(line);
}
writeFileSync(output, kept.join("\n"));
