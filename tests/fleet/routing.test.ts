/**
 * Fleet: two control planes (in this process, fleet mode) and three `hotswap runner` processes on
 * Postgres and Redis. Registration and GET /api/v1/runners, stem starts, warm preference, load
 * spread through both control planes, reservedConcurrency across replicas, burst scale-out and
 * instanceConcurrency.
 *   Needs Postgres and Redis (see tests/support/services.ts for how to start them).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { it, SkipError } from "../support/platform.ts";
import { eventually, fleetSkipReason, startCluster, type Cluster } from "./support/cluster.ts";
import { deployWhoami, invoke, type Invocation } from "./support/functions.ts";

describe("runner fleet: registration and routing", { timeout: 240_000 }, () => {
  let cluster: Cluster | undefined;
  let skip: string | undefined;
  before(async () => {
    skip = await fleetSkipReason();
    if (!skip) cluster = await startCluster({ runners: 3, controlPlanes: 2 });
  });
  after(async () => {
    await cluster?.close();
  });
  const c = (): Cluster => {
    if (skip) throw new SkipError(skip);
    return cluster!;
  };
  /** runner id by the pid that served (the runner spawned the instance). */
  const runnerOf = (inv: Invocation): string | undefined => c().runners.find((r) => r.pid === inv.body?.ppid)?.id;

  it("lists every runner with health, capacity, load, warm instances and last heartbeat; /health is ok", async () => {
    for (const cp of c().controlPlanes) {
      const list = await cp.api("GET", "/api/v1/runners");
      assert.equal(list.status, 200, list.text);
      const runners = list.json.runners as any[];
      assert.deepEqual(runners.map((r) => r.id), ["r1", "r2", "r3"]);
      for (const r of runners) {
        assert.equal(r.status, "ready");
        assert.equal(r.healthy, true);
        assert.equal(r.pool, "default");
        assert.equal(r.backend, "process");
        assert.deepEqual(r.capacity, { memoryMb: 4096, maxInstances: 12 });
        assert.equal(typeof r.load.inflight, "number");
        assert.ok(Array.isArray(r.warm));
        assert.match(r.address, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.ok(r.heartbeatAgeMs >= 0 && r.heartbeatAgeMs < 2500, `heartbeat age ${r.heartbeatAgeMs}`);
        assert.ok(Date.now() - Date.parse(r.lastHeartbeatAt) < 2500);
      }
      const health = await cp.api("GET", "/health");
      assert.equal(health.status, 200, health.text);
      assert.equal(health.json.checks.runners, "ok");
    }
  });

  it("serves the first invocation of a version from a prewarmed stem (x-hotswap-start: stem), then warm", async () => {
    const cp = c().cp;
    await eventually("a ready nodejs20 stem on every runner", async () => {
      const list = await cp.api("GET", "/api/v1/runners");
      return (list.json.runners as any[]).every((r) => r.stems.nodejs20 >= 1);
    }, 20_000);
    await deployWhoami(cp, "stemfn");
    const first = await invoke(cp, "stemfn", { n: 1 });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers.get("x-hotswap-cold-start"), "true");
    assert.equal(first.headers.get("x-hotswap-start"), "stem");
    const second = await invoke(cp, "stemfn", { n: 2 });
    assert.equal(second.headers.get("x-hotswap-cold-start"), "false");
    assert.equal(second.headers.get("x-hotswap-start"), null, "x-hotswap-start is sent on cold starts only");
  });

  it("prefers the runner with an idle warm instance: sequential invocations stay on it, warm", async () => {
    const cp = c().cp;
    await deployWhoami(cp, "sticky");
    const first = await invoke(cp, "sticky");
    assert.equal(first.status, 200, first.text);
    const home = runnerOf(first);
    assert.ok(home, `unknown runner pid ${first.body?.ppid}`);
    for (let i = 0; i < 10; i++) {
      const r = await invoke(cp, "sticky", { i });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get("x-hotswap-cold-start"), "false");
      assert.equal(runnerOf(r), home, `invocation ${i} left the warm runner`);
      assert.equal(r.body.pid, first.body.pid);
    }
  });

  it("spreads concurrent load over every runner, through either control plane", async () => {
    const { controlPlanes } = c();
    await deployWhoami(controlPlanes[0], "spread");
    // The other replica loads the new version when the routing change reaches it over pub/sub.
    for (const cp of controlPlanes) await eventually("the version on every control plane", async () => (await invoke(cp, "spread")).status === 200);
    const results: Invocation[] = [];
    const until = Date.now() + 3000;
    // 2 control planes × 5 loops, each invocation holding its instance for 100 ms: bounded load.
    await Promise.all(
      controlPlanes.flatMap((cp) =>
        Array.from({ length: 5 }, async () => {
          while (Date.now() < until) results.push(await invoke(cp, "spread", { sleepMs: 100 }));
        }),
      ),
    );
    const bad = results.filter((r) => r.status !== 200);
    assert.equal(bad.length, 0, `failed: ${bad.slice(0, 3).map((r) => r.text || r.fetchError).join(" | ")}`);
    const perRunner = new Map<string, number>();
    for (const r of results) perRunner.set(runnerOf(r)!, (perRunner.get(runnerOf(r)!) ?? 0) + 1);
    assert.deepEqual([...perRunner.keys()].sort(), ["r1", "r2", "r3"], `per runner: ${JSON.stringify([...perRunner])}`);
    for (const [id, n] of perRunner) assert.ok(n >= results.length * 0.1, `${id} served only ${n} of ${results.length}`);
  });

  it("answers 429 TooManyRequests beyond reservedConcurrency, counting invocations on every control plane", async () => {
    const [cp1, cp2] = c().controlPlanes;
    await deployWhoami(cp1, "capped", { reservedConcurrency: 2 });
    await eventually("the cap on the second control plane", async () => (await cp2.api("GET", "/api/v1/functions/capped")).json.reservedConcurrency === 2);
    const running = [invoke(cp1, "capped", { sleepMs: 1500 }), invoke(cp1, "capped", { sleepMs: 1500 })];
    await sleep(300); // the second replica hears of them within ~20 ms
    const over = await Promise.all([invoke(cp2, "capped", {}), invoke(cp2, "capped", {}), invoke(cp1, "capped", {})]);
    for (const r of over) {
      assert.equal(r.status, 429, r.text);
      assert.equal(r.body.error.code, "TooManyRequests");
      assert.match(r.body.error.message, /reservedConcurrency \(2 concurrent invocations/);
    }
    for (const r of await Promise.all(running)) assert.equal(r.status, 200, r.text);
    // cp1 publishes its released count within ~20 ms of the replies; the client can be faster than
    // that pub/sub hop, so cp2 must admit again within a bounded while, not necessarily at once.
    const admitted = await eventually("cp2 to hear the release and admit again", async () => {
      const r = await invoke(cp2, "capped", {});
      return r.status === 200 ? r : undefined;
    }, 1000, 20);
    assert.equal(admitted.status, 200, admitted.text);
  });

  it("adds instances within 2 s under a burst (instanceConcurrency 1)", async () => {
    const cp = c().cp;
    await deployWhoami(cp, "burst");
    const t0 = Date.now();
    const burst = await Promise.all(Array.from({ length: 6 }, () => invoke(cp, "burst", { sleepMs: 1000 })));
    for (const r of burst) assert.equal(r.status, 200, r.text);
    const lag = Math.max(...burst.map((r) => r.body.startedAt - t0));
    assert.ok(lag < 2000, `the last invocation of the burst started ${lag} ms after the burst`);
    assert.equal(new Set(burst.map((r) => r.body.pid)).size, 6, "each concurrent invocation had its own instance");
  });

  it("honours instanceConcurrency: an instance runs at most that many at once, and a burst adds instances", async () => {
    const cp = c().cp;
    await deployWhoami(cp, "shared", { instanceConcurrency: 3 });
    const t0 = Date.now();
    const burst = await Promise.all(Array.from({ length: 9 }, () => invoke(cp, "shared", { sleepMs: 1200 })));
    for (const r of burst) assert.equal(r.status, 200, r.text);
    const perInstance = new Map<number, number>();
    for (const r of burst) perInstance.set(r.body.pid, (perInstance.get(r.body.pid) ?? 0) + 1);
    for (const [pid, n] of perInstance) assert.ok(n <= 3, `instance ${pid} ran ${n} at once`);
    assert.ok(perInstance.size >= 3, `only ${perInstance.size} instances for 9 concurrent invocations`);
    const lag = Math.max(...burst.map((r) => r.body.startedAt - t0));
    assert.ok(lag < 2000, `the last invocation of the burst started ${lag} ms after the burst`);
  });
});
