/**
 * Two `hotswap server` replicas on one Postgres and one Redis: failed authentications from one
 * source address draw from one budget for the cluster, not one per replica. Failures spread over
 * both replicas trip the limit at the shared burst, after which both refuse the address (429 with
 * Retry-After, even with a valid key), while a valid key from another address is unaffected.
 * Requests leave from distinct loopback addresses (127.0.0.2, 127.0.0.3) so the servers see them apart.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { startReplicas, type Replicas } from "../support/replicas.ts";
import { serviceSkipReason, TEST_DATABASE_URL, TEST_REDIS_URL } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";

/** The shared budget: failures per address before the cluster refuses it. One token back every 100 s: none comes back during the test. */
const BURST = 6;
const RPS = 0.01;
/** The bound for a change to reach every replica. */
const PROPAGATION_BOUND_MS = 1_000;

interface Answer {
  status: number;
  retryAfter?: string;
  body: string;
}

/** GET `path` on `base` with `key` as Bearer, from the loopback address `from`. */
function get(base: string, path: string, key: string, from: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { localAddress: from, headers: { authorization: `Bearer ${key}` }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, retryAfter: res.headers["retry-after"] as string | undefined, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("failed authentications per address across two replicas (Postgres + Redis)", () => {
  let skip: string | undefined;
  let replicas: Replicas | undefined;
  let urls: string[] = [];
  const { key: adminKey } = generateApiKey();

  before(async () => {
    skip = (await serviceSkipReason("postgres", TEST_DATABASE_URL)) ?? (await serviceSkipReason("redis", TEST_REDIS_URL));
    if (skip) return;
    replicas = await startReplicas("authfail", 2, { HOTSWAP_ADMIN_KEY: adminKey, HOTSWAP_RATE_LIMIT_AUTH_FAILURE_RPS: String(RPS), HOTSWAP_RATE_LIMIT_AUTH_FAILURE_BURST: String(BURST) });
    urls = replicas.urls;
  });
  after(async () => {
    await replicas?.stop();
  });

  it("failures spread over both replicas trip the limit at the shared budget; another address's valid key is unaffected", { timeout: 180_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const [a, b] = urls as [string, string];
    const attacker = "127.0.0.3";
    const bystander = "127.0.0.2";
    // Each replica alone sees half the budget: a per-replica limiter would never trip here.
    const statuses: number[] = [];
    for (let i = 0; i < BURST; i++) statuses.push((await get(i % 2 ? b : a, "/api/v1/functions", generateApiKey().key, attacker)).status);
    assert.deepEqual(statuses, Array(BURST).fill(401), "every failure within the budget is a plain 401 after a lookup");

    // The last failure was on B; A hears of the block through Redis.
    const blockedAt = Date.now();
    let onA: Answer | undefined;
    await waitFor("A to refuse the address", async () => (onA = await get(a, "/api/v1/functions", adminKey, attacker)).status === 429, { timeoutMs: PROPAGATION_BOUND_MS, intervalMs: 20 });
    t.diagnostic(`A refused the address ${Date.now() - blockedAt} ms after the failure that spent the budget`);
    const onB = await get(b, "/api/v1/functions", adminKey, attacker);
    for (const [replica, answer] of [["A", onA!], ["B", onB]] as const) {
      assert.equal(answer.status, 429, `${replica} refuses the address even with a valid key`);
      const { error } = JSON.parse(answer.body) as { error: { code: string; message: string } };
      assert.equal(error.code, "TooManyRequests");
      assert.match(error.message, /Too many failed authentications from \S*127\.0\.0\.3 \(0\.01 requests per second, burst 6\)/);
      assert.ok(Number(answer.retryAfter) >= 1, `${replica}: Retry-After ${answer.retryAfter}`);
    }

    for (const [replica, url] of [["A", a], ["B", b]] as const) {
      const ok = await get(url, "/api/v1/functions", adminKey, bystander);
      assert.equal(ok.status, 200, `${replica} serves a valid key from another address: ${ok.body}`);
    }
  });
});
