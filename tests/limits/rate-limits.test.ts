/**
 * Rate limits across two control planes: two `hotswap server` processes on one Postgres and one
 * Redis draw from the same buckets, so a key's (stored in its api_keys row) and a function's (set
 * through the API) limits hold across replicas, with Retry-After in whole seconds until the next
 * token. A flood of made-up keys from one address is answered 429 once its failures are spent,
 * while another address (127.0.0.2) still authenticates.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { formatApiKey, generateApiKey, hashSecret } from "../../platform/src/auth/api-key.ts";
import { SecretBox, loadOrCreateSecretKey } from "../../platform/src/auth/secret-box.ts";
import { startServer, stopAll, type ServerProcess } from "../support/cli.ts";
import { deployFunction, invokeFunction, nodeCode } from "../support/deploy.ts";
import { TEST_DATABASE_URL, TEST_REDIS_URL, createTestDatabase, serviceSkipReason, uniquePrefix, type TestDatabase } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";

const skip = (await serviceSkipReason("postgres", TEST_DATABASE_URL)) ?? (await serviceSkipReason("redis", TEST_REDIS_URL));

/** One token every 20 s: nothing refills while a test runs, so the counts are exact. */
const SLOW = { rps: 0.05, burst: 4 };
const SECRET_KEY = "rate-limit-test-secret-key-material-0123456789";

/** A raw HTTP call (from `localAddress` when given), answering status, Retry-After and the error body. */
function call(url: string, path: string, key: string, opts: { method?: string; localAddress?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  return new Promise<{ status: number; retryAfter: string | undefined; body: any }>((resolve, reject) => {
    const req = request(new URL(path, url), { method: opts.method ?? "GET", localAddress: opts.localAddress, headers: { authorization: `Bearer ${key}`, ...opts.headers } }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, retryAfter: res.headers["retry-after"] as string | undefined, body: text ? JSON.parse(text) : undefined }));
    });
    req.on("error", reject);
    if (opts.body !== undefined) req.setHeader("content-type", "application/json");
    req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
  });
}

describe("rate limits across two control planes on Postgres and Redis", { skip, timeout: 180_000 }, () => {
  let db: TestDatabase;
  let dataDirs: string[] = [];
  const servers: Array<ServerProcess & { url: string }> = [];
  const admin = generateApiKey().key;
  let limitedKey: string;

  before(async () => {
    db = await createTestDatabase();
    dataDirs = [await mkdtemp(join(tmpdir(), "hs-limits-a-")), await mkdtemp(join(tmpdir(), "hs-limits-b-"))];
    const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, HOTSWAP_REDIS_PREFIX: uniquePrefix("limits"), HOTSWAP_ADMIN_KEY: admin, HOTSWAP_SECRET_KEY: SECRET_KEY, PORT: "0", HOST: "127.0.0.1" };
    servers.push(await startServer({ ...env, HOTSWAP_DATA_DIR: dataDirs[0]! }));
    servers.push(await startServer({ ...env, HOTSWAP_DATA_DIR: dataDirs[1]! }));
    // A key with a limit of its own, stored as the keys API stores one (api_keys.rate_limit).
    const { id, secret } = generateApiKey();
    const box = new SecretBox(await loadOrCreateSecretKey({ configured: SECRET_KEY, dataDir: dataDirs[0]! }));
    const { default: postgres } = await import("postgres");
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await sql`INSERT INTO api_keys (id, name, secret_hash, secret_enc, role, rate_limit) VALUES (${id}, 'limited', ${hashSecret(secret)}, ${box.encrypt(secret, id)}, 'admin', ${sql.json(SLOW)})`;
    } finally {
      await sql.end();
    }
    limitedKey = formatApiKey(id, secret);
  });

  after(async () => {
    await Promise.all(servers.map(async (s) => {
      s.child.kill("SIGTERM");
      await s.exited;
    }));
    await stopAll(servers);
    await db?.drop();
    for (const d of dataDirs) await rm(d, { recursive: true, force: true });
  });

  test("a key's own limit is one bucket for both replicas, for the management API and invocations alike, with Retry-After until the next token", async () => {
    const [a, b] = servers as [ServerProcess & { url: string }, ServerProcess & { url: string }];
    const started = Date.now();
    const statuses: number[] = [];
    for (const s of [a, b, a, b]) statuses.push((await call(s.url, "/api/v1/functions", limitedKey)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200], "the burst of 4 is served, two by each replica");
    const refused = await call(a.url, "/api/v1/functions", limitedKey);
    const elapsedS = Math.ceil((Date.now() - started) / 1000);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, "TooManyRequests");
    assert.match(refused.body.error.message, /API key or token "key:[a-z0-9]+" is over its rate limit \(0\.05 requests per second, burst 4\); retry after \d+ s/);
    // The next token is 20 s after the first one was taken.
    const retryAfter = Number(refused.retryAfter);
    assert.ok(Number.isInteger(retryAfter) && retryAfter <= 20 && retryAfter >= 20 - elapsedS, `Retry-After ${refused.retryAfter} after ${elapsedS} s`);
    // The invoke path (the front door) draws from the same, now empty, bucket: refused before the function is even looked up.
    const invoke = await call(b.url, "/api/v1/functions/nope/invoke", limitedKey, { method: "POST", body: {} });
    assert.equal(invoke.status, 429);
    assert.ok(Number(invoke.retryAfter) >= 1);
    // The admin key has no limit (no server default is set).
    for (let i = 0; i < 6; i++) assert.equal((await call(b.url, "/api/v1/functions", admin)).status, 200);
  });

  test("a function's limit, set through the API, holds across both replicas", async () => {
    const [a, b] = servers as [ServerProcess & { url: string }, ServerProcess & { url: string }];
    const target = { url: a.url, key: admin };
    await deployFunction(target, { name: "limited", code: nodeCode("exports.handler = async () => ({ ok: true });"), rateLimit: { rps: 0.05, burst: 3 } });
    const view = await call(a.url, "/api/v1/functions/limited", admin);
    assert.deepEqual(view.body.rateLimit, { rps: 0.05, burst: 3 });
    // Replica b learns of the function over pub/sub; a dry run resolves it without taking a token.
    await waitFor("replica b to route the function", async () => (await call(b.url, "/2015-03-31/functions/limited/invocations", admin, { method: "POST", body: {}, headers: { "x-amz-invocation-type": "DryRun" } })).status === 204, { timeoutMs: 10_000 });
    const started = Date.now();
    const statuses: number[] = [];
    for (const s of [a, b, a]) statuses.push((await invokeFunction({ url: s.url, key: admin }, "limited")).status);
    assert.deepEqual(statuses, [200, 200, 200]);
    const refused = await invokeFunction({ url: b.url, key: admin }, "limited");
    const elapsedS = Math.ceil((Date.now() - started) / 1000);
    assert.equal(refused.status, 429);
    assert.match(refused.json.error.message, /function "limited" is over its rate limit \(0\.05 requests per second, burst 3\)/);
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(retryAfter <= 20 && retryAfter >= 20 - elapsedS, `Retry-After ${retryAfter} after ${elapsedS} s`);
    // A limit that makes no sense is refused by name; lifting the limit (null: the server default, none here) lets invocations through.
    const bad = await call(a.url, "/api/v1/functions/limited", admin, { method: "PUT", body: { rateLimit: { rps: 0, burst: 1 } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /rps must be greater than 0/);
    assert.equal((await call(a.url, "/api/v1/functions/limited", admin, { method: "PUT", body: { rateLimit: null } })).status, 200);
    assert.equal((await invokeFunction({ url: a.url, key: admin }, "limited")).status, 200);
  });

  test("a flood of made-up keys from one address is refused with 429 once its failures are spent; another address still gets in", async () => {
    const [a] = servers as [ServerProcess & { url: string }];
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const { id, secret } = generateApiKey();
      statuses.push((await call(a.url, "/api/v1/functions", formatApiKey(id, secret))).status);
    }
    // The default: 20 failures at once, then one a second.
    assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401));
    assert.ok(statuses.slice(20).every((s) => s === 429 || s === 401) && statuses.slice(20).filter((s) => s === 429).length >= 7, `after the burst: ${statuses.slice(20)}`);
    const refused = await call(a.url, "/api/v1/functions", "hs_abcd1234_" + "x".repeat(40));
    assert.equal(refused.status, 429);
    assert.match(refused.body.error.message, /Too many failed authentications from 127\.0\.0\.1/);
    assert.ok(Number(refused.retryAfter) >= 1);
    // The flooded address is shut out even with a real key for now; another address is not.
    assert.equal((await call(a.url, "/api/v1/functions", admin, { localAddress: "127.0.0.2" })).status, 200);
  });
});
