// A scratch copy of the repository's layout for the docs' shell blocks, shared by the tests
// that run them (cli.test.mjs, email.test.mjs).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../common/snippets.mjs";

/** The shared folder beside the repository (the real data). */
export const SHARED = join(root, "..", "shared");

/** A scratch copy of the repository's layout; `run(code)` runs a shell block in it. */
export function workspace(t) {
  const top = mkdtempSync(join(tmpdir(), "tactful-docs-"));
  t.after(() => rmSync(top, { recursive: true, force: true }));
  const repo = join(top, "repo");
  mkdirSync(repo);
  for (const name of ["target", "www", "tests"]) symlinkSync(join(root, name), join(repo, name));
  if (existsSync(SHARED)) symlinkSync(SHARED, join(top, "shared"));
  const run = (code) => {
    // stderr into stdout, so errors and results read in the order a terminal shows them
    const result = spawnSync("bash", ["-c", `exec 2>&1\n${code}`], { cwd: repo, encoding: "utf8", timeout: 120_000 });
    assert.equal(result.error, undefined, String(result.error));
    return result.stdout;
  };
  return { repo, run };
}
