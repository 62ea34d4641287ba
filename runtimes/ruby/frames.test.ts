/**
 * Runs the Ruby bootstrap's golden-frame checks (test_frames.rb, standard library only) under
 * npm test, so a Ruby codec that disagrees with the fixtures fails the suite like any other test.
 * Without a ruby the test is skipped with the reason, except under CI=true, where that is a failure
 * (scripts/ci/ensure-ruby-go.sh installs it).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./test_frames.rb", import.meta.url));
const IS_CI = process.env.CI === "true" || process.env.CI === "1";
const probe = spawnSync("ruby", ["--version"], { encoding: "utf8" });
const missing = probe.error || probe.status !== 0 ? `ruby is not available (${probe.error?.message ?? probe.stderr.trim()}); install ruby (apt-get install ruby)` : undefined;
if (missing && IS_CI) throw new Error(`CI=true: ${missing}`);

test("the Ruby bootstrap decodes, encodes and refuses the golden frames as the manifest says (test_frames.rb)", { skip: missing }, () => {
  const r = spawnSync("ruby", [SCRIPT], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.status, 0, `ruby ${SCRIPT} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  assert.match(r.stdout, /^OK \d+ checks$/m, r.stdout);
});
