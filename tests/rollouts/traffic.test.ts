/**
 * Traffic splitting: weighted routing accuracy (10,000 resolutions in the routing table, and a
 * sample end to end through a canary's weights), and A/B tests that stick each key (header,
 * cookie or query value) to one version until promoted or rolled back.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pickAbVersion, pickAliasVersion, stickyPoint } from "../../platform/src/router/routing-table.ts";
import { forEachMode, it } from "../support/platform.ts";
import { CODE, createLiveFunction, finished, invokeLive, keyedRoundOnceRouted, startDeployment, waitForDeployment } from "./support.ts";

/** Share of `n` picks that went to `version`, in percentage points. */
function share(picks: number[], version: number): number {
  return (100 * picks.filter((v) => v === version).length) / picks.length;
}

describe("weighted routing accuracy (routing table)", () => {
  for (const weights of [{ 2: 0.1 }, { 2: 0.25, 3: 0.05 }, { 2: 0.5 }, { 2: 0.9 }]) {
    test(`splits 10,000 resolutions within ±2 points of ${JSON.stringify(weights)}`, () => {
      let acc = 0;
      const extra: Array<[number, number]> = Object.entries(weights).map(([v, w]) => [Number(v), (acc += w)]);
      const picks = Array.from({ length: 10_000 }, () => pickAliasVersion({ version: 1, extra }));
      for (const [v, w] of Object.entries(weights)) {
        const got = share(picks, Number(v));
        assert.ok(Math.abs(got - w * 100) <= 2, `version ${v}: ${got.toFixed(2)}% for a weight of ${w * 100}%`);
      }
      const primary = 100 * (1 - acc);
      assert.ok(Math.abs(share(picks, 1) - primary) <= 2);
    });
  }
});

describe("A/B stickiness (routing table)", () => {
  const rule = (key: { header: string } | { cookie: string } | { query: string }) => ({ variantVersion: 2, variantWeight: 0.3, key, salt: "d-1" });
  const req = (h: Record<string, string>, c: Record<string, string> = {}, q: Record<string, string> = {}) => ({
    header: (n: string) => h[n],
    cookie: (n: string) => c[n],
    query: (n: string) => q[n],
  });

  test("maps each key to one version, every time, and about variantWeight of the keys to the variant", () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
    const first = keys.map((k) => pickAbVersion(1, rule({ header: "x-user" }), req({ "x-user": k })));
    const again = keys.map((k) => pickAbVersion(1, rule({ header: "x-user" }), req({ "x-user": k })));
    assert.deepEqual(again, first);
    assert.ok(Math.abs(share(first, 2) - 30) <= 2, `${share(first, 2)}% of keys on the variant`);
  });

  test("reads the key from a cookie or the query, and sends requests without the key to the primary", () => {
    const k = Array.from({ length: 200 }, (_, i) => `k${i}`).find((x) => stickyPoint("d-1", x) < 0.3)!;
    assert.equal(pickAbVersion(1, rule({ cookie: "uid" }), req({}, { uid: k })), 2);
    assert.equal(pickAbVersion(1, rule({ query: "uid" }), req({}, {}, { uid: k })), 2);
    assert.equal(pickAbVersion(1, rule({ query: "uid" }), req({}, { uid: k })), 1, "the cookie does not count for a query rule");
    assert.equal(pickAbVersion(1, rule({ header: "x-user" }), req({})), 1);
    assert.equal(pickAbVersion(1, rule({ header: "x-user" }), undefined), 1);
  });

  test("a different salt (deployment) reshuffles the keys", () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `u${i}`);
    const a = keys.map((k) => stickyPoint("d-1", k) < 0.5);
    const b = keys.map((k) => stickyPoint("d-2", k) < 0.5);
    const same = a.filter((x, i) => x === b[i]).length;
    assert.ok(same > 400 && same < 600, `${same} of 1000 keys kept their side`);
  });
});

forEachMode("traffic through the API", (p) => {
  it("splits 2,000 invocations end to end within ±3.5 points of a 30% canary (10,000 are measured by measure.ts)", async () => {
    await createLiveFunction(p(), "split", [CODE.ok("v1"), CODE.ok("v2")]);
    const id = await startDeployment(p(), {
      functionName: "split",
      version: 2,
      strategy: "Canary",
      config: { canaryPercentage: 30, canaryDuration: "PT10M" },
      analysis: { interval: "PT1S", minRequests: 10 },
    });
    await waitForDeployment(p(), id, (d) => d.phase === "canary");
    const versions: string[] = [];
    const loop = async () => {
      while (versions.length < 2000) versions.push((await invokeLive(p(), "split")).version ?? "?");
    };
    await Promise.all(Array.from({ length: 8 }, loop));
    const got = (100 * versions.filter((v) => v === "2").length) / versions.length;
    assert.ok(Math.abs(got - 30) <= 3.5, `${got.toFixed(2)}% of ${versions.length} invocations ran version 2`);
    assert.ok(versions.every((v) => v === "1" || v === "2"));
    await p().api("POST", `/api/v1/deployments/${id}/rollback`, {});
  }, { timeout: 120_000 });

  it("A/B test by header: sticky per key, keyless requests on the control, promote sends everyone to the variant", async () => {
    await createLiveFunction(p(), "ab", [CODE.ok("v1"), CODE.ok("v2")]);
    const id = await startDeployment(p(), {
      functionName: "ab",
      version: 2,
      strategy: "ABTesting",
      config: { variantPercentage: 50, key: { header: "X-User-Id" } },
      analysis: { interval: "PT1S", minRequests: 10 },
    });
    const running = await waitForDeployment(p(), id, (d) => d.phase === "ab");
    assert.deepEqual(running.currentWeights, { "1": 0.5, "2": 0.5 });
    await keyedRoundOnceRouted(p(), "ab", 60, (i) => ({ headers: { "x-user-id": `user-${i}` } }));
    const alias = (await p().api("GET", "/api/v1/functions/ab/aliases/live")).json;
    assert.deepEqual(alias.routingConfig.abTest.key, { header: "x-user-id" });
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const user = `user-${i}`;
          const r = await invokeLive(p(), "ab", { "x-user-id": user });
          assert.equal(r.status, 200);
          if (!seen.has(user)) seen.set(user, new Set());
          seen.get(user)!.add(r.version!);
        }),
      );
    }
    for (const [user, versions] of seen) assert.equal(versions.size, 1, `${user} saw versions ${[...versions]}`);
    const onVariant = [...seen.values()].filter((v) => v.has("2")).length;
    assert.ok(onVariant > 15 && onVariant < 45, `${onVariant} of 60 users on the variant`);
    for (let i = 0; i < 10; i++) assert.equal((await invokeLive(p(), "ab")).version, "1", "no key: the control");
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await waitForDeployment(p(), id, () => true)).status, "InProgress", "an A/B test runs until concluded by hand");
    const promoted = await p().api("POST", `/api/v1/deployments/${id}/promote`, { reason: "variant wins" });
    assert.equal(promoted.status, 200, promoted.text);
    assert.equal((await waitForDeployment(p(), id, finished)).status, "Succeeded");
    for (let i = 0; i < 5; i++) assert.equal((await invokeLive(p(), "ab", { "x-user-id": `user-${i}` })).version, "2");
    const after = (await p().api("GET", "/api/v1/functions/ab/aliases/live")).json;
    assert.equal(after.routingConfig.abTest, undefined, "the A/B rule is gone after promotion");
  });

  it("A/B test by query value, rolled back by hand to the exact alias before", async () => {
    await createLiveFunction(p(), "abq", [CODE.ok("v1"), CODE.ok("v2")]);
    const before = (await p().api("GET", "/api/v1/functions/abq/aliases/live")).json;
    const id = await startDeployment(p(), {
      functionName: "abq",
      version: 2,
      strategy: "ABTesting",
      config: { variantPercentage: 30, key: { query: "tenant" } },
    });
    await waitForDeployment(p(), id, (d) => d.phase === "ab");
    const byTenant = (i: number) => ({ query: `?tenant=t${i}` });
    const versions = await keyedRoundOnceRouted(p(), "abq", 40, byTenant);
    const again = await keyedRoundOnceRouted(p(), "abq", 40, byTenant);
    assert.deepEqual(again, versions, "each tenant stays on its version");
    assert.ok(versions.includes("1"), "some tenants stay on the control");
    assert.equal((await p().api("POST", `/api/v1/deployments/${id}/rollback`, { reason: "inconclusive" })).status, 200);
    const after = (await p().api("GET", "/api/v1/functions/abq/aliases/live")).json;
    assert.deepEqual({ ...after, updatedAt: undefined }, { ...before, updatedAt: undefined });
  });
});
