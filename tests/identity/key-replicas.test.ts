/**
 * Two `hotswap server` replicas on one Postgres and one Redis: a key revoked or rotated through one
 * replica is refused by the other, which had it cached, long before the cache's 30 s TTL could
 * have expired it (the change travels through Redis pub/sub), and a key created on one works on
 * the other at once. The offline `hotswap admin reset-key`, run beside the running replicas,
 * announces its revocation the same way: both refuse the old admin key within a second.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createApiClient, type ApiClient } from "../../client/index.ts";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { expectOk } from "../support/deploy.ts";
import { runCli } from "../support/cli.ts";
import { startReplicas, type Replicas } from "../support/replicas.ts";
import { serviceSkipReason, TEST_DATABASE_URL, TEST_REDIS_URL } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";

/** Well under the key cache's 30 s TTL: a refusal within it came from the broadcast, not from expiry. */
const PROPAGATION_BOUND_MS = 5_000;

describe("key changes across two replicas (Postgres + Redis)", () => {
  let skip: string | undefined;
  let replicas: Replicas | undefined;
  let a: ApiClient;
  let urlB: string;
  let urls: string[] = [];
  const { key: adminKey } = generateApiKey();

  before(async () => {
    skip = (await serviceSkipReason("postgres", TEST_DATABASE_URL)) ?? (await serviceSkipReason("redis", TEST_REDIS_URL));
    if (skip) return;
    replicas = await startReplicas("keys", 2, { HOTSWAP_ADMIN_KEY: adminKey });
    urls = replicas.urls;
    a = createApiClient({ baseUrl: urls[0]!, apiKey: adminKey, timeoutMs: 30_000 });
    urlB = urls[1]!;
  });
  after(async () => {
    await replicas?.stop();
  });

  const onB = (key: string) => createApiClient({ baseUrl: urlB, apiKey: key, timeoutMs: 30_000 });

  it("a key created on A works on B at once; revoked on A, B refuses it within the broadcast bound", { timeout: 180_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const k = expectOk(await a.keys.create({ name: "replicated", role: "viewer" }), "create on A", 201);
    expectOk(await onB(k.key).functions.list(), "B accepts the new key (and caches it)");
    expectOk(await onB(k.key).functions.list(), "again, from B's cache");
    const revokedAt = Date.now();
    expectOk(await a.keys.revoke(k.id), "revoke on A");
    await waitFor("B to refuse the revoked key", async () => {
      const r = await onB(k.key).functions.list();
      return !r.ok && r.error.status === 401;
    }, { timeoutMs: PROPAGATION_BOUND_MS, intervalMs: 25 });
    t.diagnostic(`B refused the revoked key ${Date.now() - revokedAt} ms after the revoke answered`);
  });

  it("rotated on A, B refuses the old secret and accepts the new one", { timeout: 180_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const k = expectOk(await a.keys.create({ name: "rotated", role: "viewer" }), "create on A", 201);
    expectOk(await onB(k.key).functions.list(), "B caches the key");
    const rotated = expectOk(await a.keys.rotate(k.id), "rotate on A");
    await waitFor("B to accept the new secret", async () => (await onB(rotated.key).functions.list()).ok, { timeoutMs: PROPAGATION_BOUND_MS, intervalMs: 25 });
    await waitFor("B to refuse the old secret", async () => {
      const r = await onB(k.key).functions.list();
      return !r.ok && r.error.status === 401;
    }, { timeoutMs: PROPAGATION_BOUND_MS, intervalMs: 25 });
  });

  // Last: it revokes the admin key the tests above use.
  it("hotswap admin reset-key beside the running replicas: both refuse the old admin key within 1 s and accept the new one", { timeout: 180_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const on = (url: string, key: string) => createApiClient({ baseUrl: url, apiKey: key, timeoutMs: 30_000 });
    // Both replicas have the admin key cached (30 s TTL): only the announcement can make them refuse it in time.
    for (const url of urls) expectOk(await on(url, adminKey).functions.list(), `${url} accepts the admin key`);
    const reset = await runCli(["admin", "reset-key"], { ...replicas!.env, HOTSWAP_DATA_DIR: replicas!.dataDir });
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(reset.stderr, "", "no warning: the revocation was announced through Redis");
    assert.match(reset.stdout, new RegExp(`Revoked admin key: ${adminKey.split("_")[1]}`));
    const newKey = reset.stdout.match(/(hs_[a-z0-9]+_[A-Za-z0-9]{32,})/)?.[1];
    assert.ok(newKey, reset.stdout);
    const resetAt = Date.now();
    // Both at once, each given the bound from the moment the command returned.
    await Promise.all(
      [["A", urls[0]!], ["B", urls[1]!]].map(([name, url]) =>
        waitFor(`${name} to refuse the old admin key`, async () => {
          const r = await on(url!, adminKey).functions.list();
          return !r.ok && r.error.status === 401;
        }, { timeoutMs: 1_000, intervalMs: 20 }),
      ),
    );
    for (const url of urls) expectOk(await on(url, newKey).functions.list(), `${url} accepts the new admin key`);
    t.diagnostic(`both replicas refused the old key ${Date.now() - resetAt} ms after reset-key exited`);
  });
});
