import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "./config.ts";

test("defaults mean the embedded adapters under ./.hotswap on port 8080", () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.host, "127.0.0.1");
  assert.deepEqual(c.database, { kind: "pglite", dir: "./.hotswap/pglite" });
  assert.deepEqual(c.state, { kind: "memory" });
  assert.deepEqual(c.codeStore, { kind: "fs", dir: "./.hotswap/code" });
  assert.equal(c.adminKey, undefined);
});

test("server URLs select the server adapters", () => {
  const c = loadConfig({
    PORT: "9000",
    DATABASE_URL: "postgres://u:p@db:5432/hs",
    REDIS_URL: "redis://cache:6379",
    S3_ENDPOINT: "http://minio:9000",
    S3_BUCKET: "code",
    S3_ACCESS_KEY_ID: "a",
    S3_SECRET_ACCESS_KEY: "b",
    HOTSWAP_DATA_DIR: "/data",
  });
  assert.equal(c.port, 9000);
  assert.deepEqual(c.database, { kind: "postgres", url: "postgres://u:p@db:5432/hs" });
  assert.deepEqual(c.state, { kind: "redis", url: "redis://cache:6379" });
  assert.equal(c.codeStore.kind, "s3");
  assert.equal(c.dataDir, "/data");
});

test("empty strings count as unset", () => {
  const c = loadConfig({ DATABASE_URL: "", PORT: "" });
  assert.equal(c.database.kind, "pglite");
  assert.equal(c.port, 8080);
});

// RUNNER_BACKEND is a runner setting now: cli/server-settings.test.ts checks that `hotswap server` names it with these.
test("names every invalid field at once", () => {
  try {
    loadConfig({ PORT: "70000", REDIS_URL: "http://x", HOTSWAP_ADMIN_KEY: "hs_AB_short", S3_ENDPOINT: "http://s3" });
    assert.fail("expected ConfigError");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const text = e.message;
    for (const field of ["PORT", "REDIS_URL", "HOTSWAP_ADMIN_KEY", "S3_BUCKET"]) assert.match(text, new RegExp(field));
    assert.equal(e.issues.length, 4);
  }
});

test("S3 credentials must come in pairs", () => {
  assert.throws(() => loadConfig({ S3_ENDPOINT: "http://s3", S3_BUCKET: "b", S3_ACCESS_KEY_ID: "a" }), /S3_SECRET_ACCESS_KEY/);
});

test("accepts a well-formed admin key", () => {
  const key = `hs_admin01_${"A1".repeat(20)}`;
  assert.equal(loadConfig({ HOTSWAP_ADMIN_KEY: key }).adminKey, key);
});

test("keeps only control-plane settings: runner settings are not read here", () => {
  const c = loadConfig({ RUNNER_BACKEND: "docker", RUNNER_STEMS: "3", HOTSWAP_SHUTDOWN_GRACE: "5" });
  assert.deepEqual(Object.keys(c).sort(), ["adminKey", "async", "clusterSecret", "codeGc", "codeStore", "dataDir", "database", "deployerKey", "host", "jwt", "logLevel", "logs", "metricsKey", "port", "schedules", "secretKey", "shutdownGraceMs", "state", "tracing", "usage"]);
  assert.equal(c.shutdownGraceMs, 5000);
});

test("HOTSWAP_GATEWAY_PORT sets the HTTP gateway's listener (0: a free port); unset, there is none", () => {
  assert.equal(loadConfig({ HOTSWAP_GATEWAY_PORT: "9090" }).gatewayPort, 9090);
  assert.equal(loadConfig({ HOTSWAP_GATEWAY_PORT: "0" }).gatewayPort, 0);
  assert.equal("gatewayPort" in loadConfig({}), false);
  assert.equal("gatewayPort" in loadConfig({ HOTSWAP_GATEWAY_PORT: "" }), false);
  assert.throws(() => loadConfig({ HOTSWAP_GATEWAY_PORT: "70000" }), /HOTSWAP_GATEWAY_PORT/);
  assert.throws(() => loadConfig({ HOTSWAP_GATEWAY_PORT: "http" }), /HOTSWAP_GATEWAY_PORT/);
});

test("function log retention: 7 days and 100 MiB by default, set by HOTSWAP_LOG_RETENTION_DAYS and HOTSWAP_LOG_MAX_BYTES", () => {
  assert.deepEqual(loadConfig({}).logs, { retentionDays: 7, maxBytes: 104_857_600 });
  assert.deepEqual(loadConfig({ HOTSWAP_LOG_RETENTION_DAYS: "30", HOTSWAP_LOG_MAX_BYTES: "1048576" }).logs, { retentionDays: 30, maxBytes: 1_048_576 });
  assert.throws(() => loadConfig({ HOTSWAP_LOG_RETENTION_DAYS: "0" }), /HOTSWAP_LOG_RETENTION_DAYS/);
  assert.throws(() => loadConfig({ HOTSWAP_LOG_MAX_BYTES: "1000" }), /HOTSWAP_LOG_MAX_BYTES/);
});

test("HOTSWAP_METRICS_KEY must be an API key, like HOTSWAP_ADMIN_KEY", () => {
  const key = `hs_metrics01_${"a".repeat(32)}`;
  assert.equal(loadConfig({ HOTSWAP_METRICS_KEY: key }).metricsKey, key);
  assert.throws(() => loadConfig({ HOTSWAP_METRICS_KEY: "viewer" }), /HOTSWAP_METRICS_KEY: must look like hs_<id>_<secret>/);
});

test("asynchronous invocation and schedule settings: Lambda's defaults, ISO-8601 durations, precise errors", () => {
  const d = loadConfig({});
  assert.deepEqual(d.async, { concurrency: 16, retryDelaysMs: [60_000, 120_000], staleAfterMs: 30_000, queueMaxLen: 1_000_000 });
  assert.deepEqual(d.schedules, { intervalMs: 1000, misfireGraceMs: 60_000 });
  const fast = loadConfig({ HOTSWAP_ASYNC_RETRY_DELAYS: "PT0.1S, PT0.2S", HOTSWAP_ASYNC_STALE_AFTER: "PT1S", HOTSWAP_SCHEDULE_INTERVAL: "PT0.1S" });
  assert.deepEqual(fast.async.retryDelaysMs, [100, 200]);
  assert.equal(fast.async.staleAfterMs, 1000);
  assert.equal(fast.schedules.intervalMs, 100);
  assert.throws(() => loadConfig({ HOTSWAP_ASYNC_RETRY_DELAYS: "PT1M", HOTSWAP_ASYNC_STALE_AFTER: "30s" }), (e: ConfigError) => {
    assert.deepEqual(e.issues, [
      "HOTSWAP_ASYNC_RETRY_DELAYS: must be 2 comma-separated ISO-8601 durations, e.g. PT1M,PT2M",
      "HOTSWAP_ASYNC_STALE_AFTER: must be an ISO-8601 duration of at least 100 ms, e.g. PT30S",
    ]);
    return true;
  });
});

test("code collection: an hour's grace and interval by default, both in seconds", () => {
  assert.deepEqual(loadConfig({}).codeGc, { graceMs: 3_600_000, intervalMs: 3_600_000 });
  assert.deepEqual(loadConfig({ HOTSWAP_CODE_GC_GRACE: "0", HOTSWAP_CODE_GC_INTERVAL: "60" }).codeGc, { graceMs: 0, intervalMs: 60_000 });
  assert.throws(() => loadConfig({ HOTSWAP_CODE_GC_INTERVAL: "0" }), /HOTSWAP_CODE_GC_INTERVAL/);
});

test("HOTSWAP_JWT_* configure JWT bearer tokens; unset, jwt is undefined", () => {
  assert.equal(loadConfig({}).jwt, undefined);
  const c = loadConfig({ HOTSWAP_JWT_SECRET: "s".repeat(32), HOTSWAP_JWT_ISSUER: "https://issuer", HOTSWAP_JWT_AUDIENCE: "hotswap", HOTSWAP_JWT_CLOCK_SKEW: "5" });
  assert.deepEqual(c.jwt, { secret: "s".repeat(32), issuer: "https://issuer", audience: "hotswap", rolesClaim: "roles", clockSkewSeconds: 5 });
  assert.deepEqual(loadConfig({ HOTSWAP_JWT_JWKS_URL: "https://idp.example/jwks", HOTSWAP_JWT_ROLES_CLAIM: "realm_access.roles" }).jwt, {
    jwksUrl: "https://idp.example/jwks",
    rolesClaim: "realm_access.roles",
    clockSkewSeconds: 30,
  });
  assert.throws(() => loadConfig({ HOTSWAP_JWT_SECRET: "short" }), /HOTSWAP_JWT_SECRET: must be at least 32 bytes/);
  assert.throws(() => loadConfig({ HOTSWAP_JWT_JWKS_URL: "ftp://x" }), /HOTSWAP_JWT_JWKS_URL/);
});

test("HOTSWAP_DEPLOYER_KEY must be an API key, like HOTSWAP_ADMIN_KEY", () => {
  const key = `hs_deploy01_${"D".repeat(40)}`;
  assert.equal(loadConfig({ HOTSWAP_DEPLOYER_KEY: key }).deployerKey, key);
  assert.equal(loadConfig({}).deployerKey, undefined);
  assert.throws(() => loadConfig({ HOTSWAP_DEPLOYER_KEY: "deployer" }), /HOTSWAP_DEPLOYER_KEY: must look like hs_<id>_<secret>/);
});
