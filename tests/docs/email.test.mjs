// www/docs/email.md: each shell block run as written with the release CLI, what it says it
// prints checked; the Klaviyo and Mailchimp templates held to the columns the batch writes.
// Needs `./build.sh build` first (the release CLI).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assertPrinted, root, snippet } from "../common/snippets.mjs";
import { workspace } from "./workspace.mjs";

/** Runs the page's first block; returns the output file's header and rows as text lines. */
function batchOfTheSampleList(t) {
  const { repo, run } = workspace(t);
  const block = snippet("email-batch");
  assertPrinted(block, run(`set -e\n${block.code}`));
  const lines = readFileSync(join(repo, "emails.csv"), "utf8").trimEnd().split("\n");
  return { header: lines[0].split(","), rows: lines.slice(1) };
}

test("the sample list is decided as the page says", (t) => {
  const { header, rows } = batchOfTheSampleList(t);
  assert.equal(rows.length, 7);
  assert.ok(header.includes("offer_2_link") && header.at(-1) === "memory", header.join(","));
  assert.ok(rows[0].includes("https://store.example/add/portfolio-templates?utm_source=email"), rows[0]);
});

test("JSON Lines in and out, and the bad rows, print what the page says", (t) => {
  const { run } = workspace(t);
  for (const block of [snippet("email-jsonl"), snippet("email-bad-rows")]) {
    assertPrinted(block, run(block.code));
  }
});

test("the Klaviyo template reads only properties the batch writes", (t) => {
  const { header } = batchOfTheSampleList(t);
  const used = [...snippet("email-klaviyo").code.matchAll(/person\|lookup:'([^']+)'/g)].map((m) => m[1]);
  assert.ok(used.length >= 4);
  for (const name of used) assert.ok(header.includes(name), `the template reads \`${name}\`, which no column holds`);
});

test("the Mailchimp template's merge tags are the mapping table's, each a column the batch writes", (t) => {
  const { header } = batchOfTheSampleList(t);
  const page = readFileSync(join(root, "www/docs/email.md"), "utf8");
  const mapping = new Map([...page.matchAll(/^\| `([a-z0-9_]+)` \| `([A-Z0-9]+)` \|/gm)].map((m) => [m[2], m[1]]));
  assert.ok(mapping.size >= 5, "the page has its mapping table");
  for (const [tag, column] of mapping) {
    assert.ok(tag.length <= 10, `Mailchimp tags are at most 10 characters: ${tag}`);
    assert.ok(header.includes(column), `\`${column}\` is not a column the batch writes`);
  }
  const code = snippet("email-mailchimp").code;
  const tags = [...code.matchAll(/\*\|(?:IF:)?([A-Z0-9]+)(?:=[^|]*)?\|\*/g)].map((m) => m[1]).filter((t) => t !== "END");
  assert.ok(tags.length >= 5);
  for (const tag of tags) assert.ok(mapping.has(tag), `the template uses *|${tag}|*, which the table does not map`);
  assert.match(code, /^\*\|IF:SEND=yes\|\*$/m, "only customers to send see the offer");
});
