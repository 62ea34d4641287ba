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
  assert.deepEqual(Object.keys(c).sort(), ["adminKey", "approvalTimeoutMs", "async", "clusterSecret", "codeGc", "codeStore", "dataDir", "database", "deployerKey", "host", "jwt", "logLevel", "logs", "metricsKey", "port", "previousSecretKeys", "queues", "rateLimits", "schedules", "secretKey", "shutdownGraceMs", "state", "streams", "tracing", "usage"]);
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

test("Stream trigger brokers: HOTSWAP_STREAM_REDIS_URL, else REDIS_URL; HOTSWAP_NATS_URL a nats:// URL; unset: none", () => {
  assert.deepEqual(loadConfig({}).streams, {});
  assert.deepEqual(loadConfig({ REDIS_URL: "redis://127.0.0.1:6379" }).streams, { redisUrl: "redis://127.0.0.1:6379" });
  assert.deepEqual(loadConfig({ REDIS_URL: "redis://a:6379", HOTSWAP_STREAM_REDIS_URL: "redis://b:6380", HOTSWAP_NATS_URL: "nats://127.0.0.1:4222" }).streams, {
    redisUrl: "redis://b:6380",
    natsUrl: "nats://127.0.0.1:4222",
  });
  assert.throws(() => loadConfig({ HOTSWAP_NATS_URL: "http://127.0.0.1:4222" }), /HOTSWAP_NATS_URL/);
  assert.throws(() => loadConfig({ HOTSWAP_STREAM_REDIS_URL: "nats://x:1" }), /HOTSWAP_STREAM_REDIS_URL/);
});

test("HOTSWAP_PREVIOUS_SECRET_KEYS lists keys that still open sealed values; it needs HOTSWAP_SECRET_KEY and 32+ characters each", () => {
  assert.deepEqual(loadConfig({}).previousSecretKeys, []);
  const c = loadConfig({ HOTSWAP_SECRET_KEY: "n".repeat(32), HOTSWAP_PREVIOUS_SECRET_KEYS: `${"a".repeat(32)}, ${"b".repeat(40)}` });
  assert.deepEqual(c.previousSecretKeys, ["a".repeat(32), "b".repeat(40)]);
  assert.throws(() => loadConfig({ HOTSWAP_PREVIOUS_SECRET_KEYS: "a".repeat(32) }), /HOTSWAP_PREVIOUS_SECRET_KEYS: needs HOTSWAP_SECRET_KEY/);
  assert.throws(() => loadConfig({ HOTSWAP_SECRET_KEY: "n".repeat(32), HOTSWAP_PREVIOUS_SECRET_KEYS: "short" }), /HOTSWAP_PREVIOUS_SECRET_KEYS.*at least 32/);
});

test("HOTSWAP_APPROVAL_TIMEOUT: a day by default, an ISO-8601 duration of at least a second", () => {
  assert.equal(loadConfig({}).approvalTimeoutMs, 86_400_000);
  assert.equal(loadConfig({ HOTSWAP_APPROVAL_TIMEOUT: "PT2H" }).approvalTimeoutMs, 7_200_000);
  assert.throws(() => loadConfig({ HOTSWAP_APPROVAL_TIMEOUT: "24h" }), /HOTSWAP_APPROVAL_TIMEOUT: must be an ISO-8601 duration of at least 1000 ms, e.g. PT24H/);
  assert.throws(() => loadConfig({ HOTSWAP_APPROVAL_TIMEOUT: "PT0.5S" }), /HOTSWAP_APPROVAL_TIMEOUT/);
});

test("rate limits: key and function defaults are off, auth failures 1/s with a burst of 20; a burst defaults to twice the rate", () => {
  assert.deepEqual(loadConfig({}).rateLimits, { authFailures: { rps: 1, burst: 20 } });
  const c = loadConfig({
    HOTSWAP_RATE_LIMIT_KEY_RPS: "50",
    HOTSWAP_RATE_LIMIT_FUNCTION_RPS: "0.5",
    HOTSWAP_RATE_LIMIT_FUNCTION_BURST: "3",
    HOTSWAP_RATE_LIMIT_AUTH_FAILURE_RPS: "0",
  });
  assert.deepEqual(c.rateLimits, { key: { rps: 50, burst: 100 }, function: { rps: 0.5, burst: 3 } });
  assert.throws(
    () => loadConfig({ HOTSWAP_RATE_LIMIT_KEY_RPS: "-1", HOTSWAP_RATE_LIMIT_KEY_BURST: "1.5" }),
    (e: Error) => /HOTSWAP_RATE_LIMIT_KEY_RPS/.test(e.message) && /HOTSWAP_RATE_LIMIT_KEY_BURST/.test(e.message),
  );
});

test("TLS: HOTSWAP_TLS_CERT and HOTSWAP_TLS_KEY together serve HTTPS; one alone is refused by name", () => {
  assert.equal(loadConfig({}).tls, undefined);
  assert.deepEqual(loadConfig({ HOTSWAP_TLS_CERT: "/c.pem", HOTSWAP_TLS_KEY: "/k.pem", HOTSWAP_RUNNER_TLS_CA: "/ca.pem" }).tls, { certFile: "/c.pem", keyFile: "/k.pem" });
  assert.equal(loadConfig({ HOTSWAP_RUNNER_TLS_CA: "/ca.pem" }).runnerTlsCa, "/ca.pem");
  assert.throws(() => loadConfig({ HOTSWAP_TLS_CERT: "/c.pem" }), /HOTSWAP_TLS_KEY: HOTSWAP_TLS_CERT and HOTSWAP_TLS_KEY must be set together/);
});

test("queue trigger settings: broker URLs (Redis falls back to REDIS_URL), retry delay and stale threshold as ISO-8601 durations", () => {
  assert.deepEqual(loadConfig({}).queues, { retryDelayMs: 1000, staleAfterMs: 30_000 });
  assert.equal(loadConfig({ REDIS_URL: "redis://a:6379" }).queues.redisUrl, "redis://a:6379");
  const q = loadConfig({ REDIS_URL: "redis://a:6379", HOTSWAP_QUEUE_REDIS_URL: "redis://b:6379", HOTSWAP_AMQP_URL: "amqp://guest:guest@h:5672", HOTSWAP_NATS_URL: "nats://h:4222", HOTSWAP_QUEUE_RETRY_DELAY: "PT0.05S", HOTSWAP_QUEUE_STALE_AFTER: "PT2S" }).queues;
  assert.deepEqual(q, { redisUrl: "redis://b:6379", amqpUrl: "amqp://guest:guest@h:5672", natsUrl: "nats://h:4222", retryDelayMs: 50, staleAfterMs: 2000 });
  assert.throws(() => loadConfig({ HOTSWAP_AMQP_URL: "http://h" }), /HOTSWAP_AMQP_URL/);
  assert.throws(() => loadConfig({ HOTSWAP_NATS_URL: "redis://h" }), /HOTSWAP_NATS_URL/);
  assert.throws(() => loadConfig({ HOTSWAP_QUEUE_STALE_AFTER: "PT0.01S" }), /HOTSWAP_QUEUE_STALE_AFTER: must be an ISO-8601 duration of at least 100 ms/);
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

test("HOTSWAP_RUNNER_TLS_SERVERNAME: the name runners' certificates are checked against, a DNS name", () => {
  const c = loadConfig({ HOTSWAP_RUNNER_TLS_CA: "/etc/ca.pem", HOTSWAP_RUNNER_TLS_SERVERNAME: "runner.hotswap.internal" });
  assert.equal(c.runnerTlsCa, "/etc/ca.pem");
  assert.equal(c.runnerTlsServername, "runner.hotswap.internal");
  assert.equal(loadConfig({}).runnerTlsServername, undefined);
  assert.throws(() => loadConfig({ HOTSWAP_RUNNER_TLS_SERVERNAME: "https://runner:8081" }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /HOTSWAP_RUNNER_TLS_SERVERNAME.*must be a DNS name, e\.g\. runner\.hotswap\.internal/);
    return true;
  });
});
