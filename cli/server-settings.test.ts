import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../platform/src/config.ts";
import { loadServerSettings } from "./server-settings.ts";

const HOST = { hostname: "laptop" };

test("names every invalid field of the control plane and of the runner at once", () => {
  try {
    loadServerSettings({ PORT: "70000", REDIS_URL: "http://x", RUNNER_BACKEND: "vm", HOTSWAP_ADMIN_KEY: "hs_AB_short", S3_ENDPOINT: "http://s3" }, HOST);
    assert.fail("expected ConfigError");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const text = e.message;
    for (const field of ["PORT", "REDIS_URL", "RUNNER_BACKEND", "HOTSWAP_ADMIN_KEY", "S3_BUCKET"]) assert.match(text, new RegExp(field));
    assert.equal(e.issues.length, 5);
  }
});

test("the embedded runner needs no Redis or cluster secret and gets the embedded defaults", () => {
  const { control, runner } = loadServerSettings({ HOTSWAP_DATA_DIR: "/data" }, HOST);
  assert.equal(control.dataDir, "/data");
  assert.equal(runner.mode, "embedded");
  assert.equal(runner.id, "embedded-laptop");
  assert.equal(runner.dataDir, "/data");
  assert.equal(runner.backend, "process");
});

test("returns the deprecation warnings of old runner names for the command to print once", () => {
  const { runner } = loadServerSettings({ HOTSWAP_STEM_POOL_SIZE: "1", RUNNER_STEMS: "2" }, HOST);
  assert.equal(runner.stems.perRuntime, 2);
  assert.deepEqual(runner.deprecations, ["HOTSWAP_STEM_POOL_SIZE is deprecated; use RUNNER_STEMS. Both are set: RUNNER_STEMS wins and HOTSWAP_STEM_POOL_SIZE is ignored"]);
});
