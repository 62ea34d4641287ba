/**
 * The rollout leader in-process: fencing of a deposed leader, takeover by another replica when the
 * leader stops renewing its lease (resuming from the persisted phase), and commands queued on one
 * replica applied by the leader on another. Embedded stores (PGlite in memory, memory state) and a
 * fake runner keep it fast; the real processes are exercised by tests/rollouts/restart.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Repositories } from "../db/index.ts";
import { openEmbeddedStores, type EmbeddedStores } from "../../../tests/support/embedded-stores.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import type { Lease, StateStore } from "../../../shared/state/state-store.ts";
import { RoutingTable } from "../router/routing-table.ts";
import { Invoker } from "../router/invoker.ts";
import { FunctionService } from "../functions/function-service.ts";
import { AliasService } from "../functions/alias-service.ts";
import { CreateFunctionBody } from "../../../protocol/api/functions.ts";
import { StateMetricsRecorder } from "../metrics/metrics-recorder.ts";
import type { RunnerHandle } from "../../../protocol/runner.ts";
import { DeploymentAliasGuard, startRollouts, type Rollouts } from "./index.ts";
import { LeadershipLost, Transitions } from "./transitions.ts";
import { waitFor } from "../../../tests/support/wait-for.ts";
import { RolloutWindowsObserver } from "../metrics/rollout-windows-observer.ts";
import { CreateDeploymentBody } from "../../../protocol/api/deployments.ts";
import type { PrometheusTarget, QueryResult } from "./prometheus-query.ts";
import { randomBytes } from "node:crypto";
import { SecretBox } from "../auth/secret-box.ts";

const actor = { id: "test" };
const quiet = { info() {}, warn() {}, error() {} };

const fakeRunner: RunnerHandle = {
  invoke: async () => ({ kind: "success", payload: Buffer.from("{}"), coldStart: false, start: "warm", durationMs: 2 }),
  prewarm: async (_spec, n) => n,
  runtimes: async () => [],
  status: () => ({ id: "fake", backend: "process", state: "ready", inflight: 0, instances: 0, warm: {} }),
  healthCheck: async () => {},
  drain: async () => {},
};

/** A state store whose leases this replica believes it still holds although it stopped renewing them (a long GC pause, a partition). */
function partitionable(state: StateStore): StateStore & { partitioned: boolean } {
  const wrapper = Object.create(state) as StateStore & { partitioned: boolean };
  wrapper.partitioned = false;
  wrapper.renewLease = async (lease: Lease, ttlMs: number) => (wrapper.partitioned ? { ...lease, expiresAt: Date.now() + ttlMs } : state.renewLease(lease, ttlMs));
  wrapper.acquireLease = (name, holder, ttlMs) => (wrapper.partitioned ? Promise.resolve(null) : state.acquireLease(name, holder, ttlMs));
  return wrapper;
}

/** Wait until `pred` holds (an error in it fails at once, as a failed assertion would). */
async function waitUntil(what: string, pred: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  await waitFor(`until ${what}`, pred, { timeoutMs: ms, intervalMs: 20, retryErrors: false });
}

describe("rollout orchestrator", () => {
  let stores: EmbeddedStores;
  let repos: Repositories;
  let state: MemoryStateStore;
  let routing: RoutingTable;
  let functions: FunctionService;
  let aliases: AliasService;
  let recorder: StateMetricsRecorder;
  const started: Rollouts[] = [];
  const namespace = "hs:test:";

  before(async () => {
    stores = await openEmbeddedStores();
    ({ repos, state, routing } = stores);
    functions = new FunctionService(repos, routing);
    aliases = new AliasService(repos, functions, routing, new DeploymentAliasGuard(repos));
    recorder = new StateMetricsRecorder(state, { namespace, flushIntervalMs: 20 });
  });
  after(async () => {
    for (const r of started) await r.stop();
    await recorder.close();
    await stores.close();
  });

  async function fn(name: string): Promise<void> {
    await functions.create(CreateFunctionBody.parse({ name, runtime: "nodejs20", handler: "index.handler" }), actor);
    for (let i = 0; i < 2; i++) await repos.versions.publish(name, { codeSha256: "a".repeat(64), codeSize: 1, codeLocation: "x", description: "" });
    await routing.invalidate(name);
    await aliases.put(name, "live", { version: 1, description: "" }, actor);
  }

  async function replica(holder: string, store: StateStore = state): Promise<Rollouts> {
    const r = await startRollouts({
      repos,
      state: store,
      functions,
      aliases,
      invoker: new Invoker(routing, fakeRunner, [new RolloutWindowsObserver(recorder)]),
      runner: fakeRunner,
      routing,
      namespace,
      holder,
      log: quiet,
      tickMs: 30,
      leaseTtlMs: 1000,
    });
    started.push(r);
    return r;
  }

  const canary = (name: string) => ({
    functionName: name,
    version: 2,
    alias: "live",
    strategy: "Canary" as const,
    config: { canaryPercentage: 50, canaryDuration: "PT1S" },
    analysis: { interval: "PT1S", maxErrorRate: 0.05, minRequests: 3 },
    hooks: {},
    onConflict: "fail" as const,
  });

  // First, while no deployment exists: its replicas use a namespace of their own and must not drive the later tests' deployments.
  test("holds the documented lease hs:<cluster>:rollouts:leader and hands it over at once when stopped", async () => {
    const ns = "hs:handover:";
    const start = (holder: string) =>
      startRollouts({ repos, state, functions, aliases, invoker: new Invoker(routing, fakeRunner, [new RolloutWindowsObserver(recorder)]), runner: fakeRunner, routing, namespace: ns, holder, log: quiet, tickMs: 30, leaseTtlMs: 30_000 });
    const x = await start("X");
    const y = await start("Y");
    try {
      await waitUntil("X leads", () => x.orchestrator.isLeader());
      assert.equal(x.orchestrator.leaseName, "hs:handover:rollouts:leader");
      assert.equal(await state.acquireLease("hs:handover:rollouts:leader", "intruder", 1000), null, "the key is held in the state store");
      assert.equal(y.orchestrator.isLeader(), false);
      const first = x.orchestrator.token();
      const stoppedAt = Date.now();
      await x.stop();
      assert.equal(x.orchestrator.isLeader(), false);
      await waitUntil("Y leads", () => y.orchestrator.isLeader());
      assert.ok(Date.now() - stoppedAt < 5000, `Y led ${Date.now() - stoppedAt} ms after X stopped, long before the 30 s TTL`);
      assert.ok(y.orchestrator.token() > first, "with a larger fencing token");
    } finally {
      await x.stop();
      await y.stop();
    }
  });

  test("refuses a write with an older fencing token, before it reaches the alias", async () => {
    await fn("fenced");
    const d = await repos.deployments.create({ functionName: "fenced", alias: "live", fromVersion: 1, toVersion: 2, strategy: "Canary", status: "InProgress", phase: "pending", config: canary("fenced").config, aliasBefore: { version: 1, routingConfig: { additionalVersionWeights: {} }, description: "" } });
    const as = (token: number) => new Transitions(repos, aliases, { token: () => token, confirm: async () => {} }, Date.now);
    const claimed = await as(7).claim(d);
    assert.equal(claimed.fenceToken, 7);
    await assert.rejects(as(6).moveTo(claimed, "canary", 1, { reason: "stale leader" }), LeadershipLost);
    const after = await repos.deployments.get(d.id);
    assert.equal(after?.phase, "pending", "the stale write changed nothing");
    assert.deepEqual((await repos.aliases.get("fenced", "live"))?.routingConfig.additionalVersionWeights, {}, "and never reached the alias");
    const moved = await as(8).moveTo(claimed, "canary", 1, { reason: "current leader" });
    assert.equal(moved.fenceToken, 8);
    assert.deepEqual((await repos.aliases.get("fenced", "live"))?.routingConfig.additionalVersionWeights, { "2": 0.5 });
  });

  test("another replica takes over when the leader stops renewing, fences it out, and completes the rollout", async () => {
    await fn("takeover");
    const storeA = partitionable(state);
    const a = await replica("A", storeA);
    await waitUntil("A leads", () => a.orchestrator.isLeader());
    const b = await replica("B");
    const { deploymentId } = await a.service.create(canary("takeover"), actor);
    await waitUntil("the canary runs", async () => (await repos.deployments.get(deploymentId))?.phase === "canary");
    assert.ok(!(a.orchestrator.isLeader() && b.orchestrator.isLeader()), "one leader at a time");
    const tokenA = a.orchestrator.token();
    storeA.partitioned = true;
    await waitUntil("B takes the lease", () => b.orchestrator.isLeader(), 5000);
    assert.equal(a.orchestrator.isLeader(), true, "A still believes it leads");
    await waitUntil("B fenced A out of the deployment", async () => ((await repos.deployments.get(deploymentId))?.fenceToken ?? 0) > tokenA);
    for (let i = 0; i < 5; i++) recorder.record("takeover", 2, { error: false, durationMs: 2 });
    await waitUntil("the rollout completes", async () => (await repos.deployments.get(deploymentId))?.status === "Succeeded");
    const events = await repos.deployments.listEvents(deploymentId);
    assert.equal(events.filter((e) => e.data?.phase === "post-traffic").length, 1, "100% was entered once");
    const audit = await repos.auditLogs.list({ resourceType: "alias", resourceId: "takeover:live" });
    assert.deepEqual(
      audit.filter((x) => x.actor.startsWith("deployment:")).map((x) => (x.after as { routingConfig: { additionalVersionWeights: object } }).routingConfig.additionalVersionWeights).reverse(),
      [{ "2": 0.5 }, {}],
      "only planned weights were written",
    );
    await a.stop();
  });

  test("a new leader re-applies the planned weights when a crash fell between the deployment write and the alias write", async () => {
    await fn("halfway");
    // The row says canary at 50 %; the alias still says 100 % version 1: the old leader died in between.
    const d = await repos.deployments.create({
      functionName: "halfway",
      alias: "live",
      fromVersion: 1,
      toVersion: 2,
      strategy: "Canary",
      status: "InProgress",
      phase: "canary",
      config: { canaryPercentage: 50, canaryDuration: "PT1H" },
      analysis: canary("halfway").analysis,
      currentWeights: { "1": 0.5, "2": 0.5 },
      aliasBefore: { version: 1, routingConfig: { additionalVersionWeights: {} }, description: "" },
      plan: { trafficStartedAt: Date.now() },
    });
    await repos.deployments.update(d.id, { step: 1, phaseStartedAt: new Date() });
    const leader = started.find((r) => r.orchestrator.isLeader()) ?? (await replica("E"));
    leader.orchestrator.wake();
    await waitUntil("the alias matches the plan", async () => JSON.stringify((await repos.aliases.get("halfway", "live"))?.routingConfig.additionalVersionWeights) === '{"2":0.5}');
    const events = await repos.deployments.listEvents(d.id);
    assert.match(events.find((e) => e.type === "reconciled")?.reason ?? "", /differed from the weights planned for phase canary step 1; re-applied the plan/);
    await leader.service.command(d.id, "rollback", "cleanup", actor);
  });

  test("applies a command queued on a replica that is not the leader", async () => {
    await fn("remote");
    const leader = started.find((r) => r.orchestrator.isLeader()) ?? (await replica("C"));
    await waitUntil("a leader exists", () => leader.orchestrator.isLeader());
    const follower = await replica("D");
    const { deploymentId } = await follower.service.create({ ...canary("remote"), config: { canaryPercentage: 50, canaryDuration: "PT1H" } }, actor);
    await waitUntil("the canary runs", async () => (await repos.deployments.get(deploymentId))?.phase === "canary");
    const r = await follower.service.command(deploymentId, "rollback", "from the follower", actor);
    assert.equal(r.applied, true);
    assert.equal(r.deployment.status, "RolledBack");
    assert.equal(follower.orchestrator.isLeader(), false);
    assert.deepEqual((await repos.aliases.get("remote", "live"))?.routingConfig.additionalVersionWeights, {});
  });

  test("with analysis.prometheus, a step holds until the metrics pass with data, then advances; the bearer token is stored sealed and sent in the clear", async () => {
    // The earlier tests' leaders share the database and would drive this deployment too (with real queries).
    for (const earlier of started) await earlier.stop();
    const ns = "hs:prometheus:";
    const rec = new StateMetricsRecorder(state, { namespace: ns, flushIntervalMs: 20 });
    const queries: string[] = [];
    const targets: PrometheusTarget[] = [];
    let answer: QueryResult = { ok: true, value: null };
    const invoker = new Invoker(routing, fakeRunner, [new RolloutWindowsObserver(rec)]);
    const r = await startRollouts({
      repos, state, functions, aliases, invoker, runner: fakeRunner, routing, namespace: ns, holder: "P", log: quiet, tickMs: 30, leaseTtlMs: 1000,
      queryPrometheus: async (target, query) => (targets.push(target), queries.push(query), answer),
      box: new SecretBox(randomBytes(32)),
    });
    try {
      await fn("prom-hold");
      const token = "prom-bearer-secret-42";
      const prometheus = { address: "http://prometheus.invalid:9090", bearerToken: token, metrics: [{ name: "errors", query: 'x{function="{{function}}",version="{{version}}"}[{{interval}}]', thresholdMax: 0.1 }] };
      const body = CreateDeploymentBody.parse({ ...canary("prom-hold"), analysis: { interval: "PT1S", minRequests: 3, prometheus } });
      const { deploymentId } = await r.service.create(body, actor);
      const stored = JSON.stringify((await repos.deployments.get(deploymentId))!.analysis);
      assert.ok(!stored.includes(token), `the token is not stored in the clear: ${stored}`);
      assert.match(stored, /"bearerTokenSealed":"v2:/);
      const shown = JSON.stringify(await r.service.get(deploymentId));
      assert.ok(!shown.includes(token) && !shown.includes("bearerTokenSealed"), "neither the token nor its sealed form is shown");
      assert.match(shown, /"bearerToken":"\*\*\*"/);
      const traffic = setInterval(() => void invoker.invoke("prom-hold", "live", Buffer.from("{}"), { requestId: "" }).catch(() => {}), 10);
      try {
        await waitUntil("the canary holds for want of Prometheus data", async () =>
          (await repos.deployments.listEvents(deploymentId)).some((e) => e.type === "hold" && /Prometheus metrics have not passed with data/.test(e.reason ?? "")),
        );
        assert.equal((await repos.deployments.get(deploymentId))!.phase, "canary", "no data: not promoted");
        assert.equal(queries[0], 'x{function="prom-hold",version="2"}[1s]');
        assert.equal(targets[0]!.bearerToken, token, "the query sends the opened token");
        answer = { ok: true, value: 0.01 };
        await waitUntil("the deployment succeeds once the metric passes", async () => (await repos.deployments.get(deploymentId))!.status === "Succeeded");
        const events = await repos.deployments.listEvents(deploymentId);
        assert.ok(events.some((e) => e.reason === "Prometheus metrics passed: errors=0.01"));
      } finally {
        clearInterval(traffic);
      }
    } finally {
      await r.stop();
      await rec.close();
    }
  });
});
