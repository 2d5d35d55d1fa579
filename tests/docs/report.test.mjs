// www/docs/report.md's blocks, run with the release CLI as a reader would run them from the
// repository's root, in a scratch folder with the page's example logs and orders written out.
// Needs `./build.sh build` first (the release CLI).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertPrinted, root, snippet } from "../common/snippets.mjs";

function workspace(t) {
  const repo = mkdtempSync(join(tmpdir(), "tactful-report-docs-"));
  t.after(() => rmSync(repo, { recursive: true, force: true }));
  for (const name of ["target", "www"]) symlinkSync(join(root, name), join(repo, name));
  writeFileSync(join(repo, "logs.jsonl"), snippet("report-example-logs").code);
  writeFileSync(join(repo, "orders.csv"), snippet("report-example-orders").code);
  const run = (code) => {
    const result = spawnSync("bash", ["-c", `set -e\nexec 2>&1\n${code}`], { cwd: repo, encoding: "utf8", timeout: 120_000 });
    assert.equal(result.error, undefined, String(result.error));
    assert.equal(result.status, 0, result.stdout);
    return result.stdout;
  };
  return { repo, run };
}

test("the first report prints what the page says, and writes its JSON and HTML", (t) => {
  const { repo, run } = workspace(t);
  const block = snippet("report-first");
  assertPrinted(block, run(block.code));
  const report = JSON.parse(readFileSync(join(repo, "report.json"), "utf8"));
  assert.deepEqual(report.shoppers, { holdout: 1, treated: 2 });
  // pack-starter is an item of creator-toolkit (the snapshot says so): k-1's order is attached.
  const attach = report.metrics.find((m) => m.name === "attach_rate");
  assert.equal(attach.treated.value, 1);
  assert.match(readFileSync(join(repo, "report.html"), "utf8"), /<svg/);
});

test("bad lines are warned about with their file and line", (t) => {
  const { run } = workspace(t);
  const block = snippet("report-warnings");
  assertPrinted(block, run(block.code));
});

test("the SQL is printed for the dialect asked, and the DuckDB loader is the page's", (t) => {
  const { repo, run } = workspace(t);
  run(snippet("report-sql").code);
  const sql = readFileSync(join(repo, "report.sql"), "utf8");
  assert.match(sql, /CAST\(COUNT\(\*\) AS FLOAT64\)/);
  assert.match(sql, /'margin_per_shopper' AS metric/);
  // The loader itself runs on DuckDB in tests/report.rs (the_sql_gives_the_clis_numbers_on_duckdb).
  assert.match(snippet("report-duckdb-load").code, /CREATE TABLE offer_items/);
});

test("the README's report example prints what it says", (t) => {
  const { run } = workspace(t);
  const block = snippet("readme-report");
  assertPrinted(block, run(block.code));
});
