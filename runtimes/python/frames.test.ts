/**
 * Runs the Python bootstrap's golden-frame tests (test_frames.py, stdlib unittest) under npm test,
 * so a Python codec that disagrees with the fixtures fails the suite like any other test. Without
 * a python3 the test is skipped with the reason, except under CI=true, where that is a failure.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./test_frames.py", import.meta.url));
const IS_CI = process.env.CI === "true" || process.env.CI === "1";
const python = "python3";
const probe = spawnSync(python, ["--version"], { encoding: "utf8" });
const missing = probe.error || probe.status !== 0 ? `${python} is not available (${probe.error?.message ?? probe.stderr.trim()}); install python3` : undefined;
if (missing && IS_CI) throw new Error(`CI=true: ${missing}`);

test("the Python bootstrap decodes, encodes and refuses the golden frames as the manifest says (test_frames.py)", { skip: missing }, () => {
  const r = spawnSync(python, ["-B", SCRIPT, "-v"], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.error, undefined, String(r.error));
  // unittest reports on stderr: show it when something failed.
  assert.equal(r.status, 0, `python3 ${SCRIPT} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  assert.match(r.stderr, /^OK/m, r.stderr);
  assert.doesNotMatch(r.stderr, /skipped/i, r.stderr);
});
