import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import type { InvokeOutcome } from "../../../protocol/invoke.ts";
import { invocationOf, specOf } from "../../../tests/support/invocation.ts";
import { ReservedConcurrencyStage } from "../invocation/reserved-concurrency.ts";
import { ObserveStage } from "../invocation/observe.ts";
import { PrometheusInvocationObserver, countThrottles, gbSeconds } from "./prometheus-observer.ts";
import { PrometheusDeploymentMetrics } from "./deployment-metrics.ts";

const outcome = (o: Partial<InvokeOutcome> & Pick<InvokeOutcome, "kind">): InvokeOutcome =>
  ({ payload: Buffer.from("{}"), coldStart: false, start: "warm", durationMs: 3, ...o }) as InvokeOutcome;

async function observeAll(observer: PrometheusInvocationObserver, outcomes: Array<[InvokeOutcome, number?]>) {
  for (const [o, version = 1] of outcomes) await new ObserveStage({ handle: async () => o }, [observer]).handle(invocationOf({ spec: specOf({ version, memorySize: 512 }) }));
}

/** The exposition lines of one metric name (without HELP/TYPE). */
async function lines(registry: Registry, name: string): Promise<string[]> {
  return (await registry.metrics()).split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

test("labels outcomes success, function_error and the platform failure, and leaves throttles out of invocations", async () => {
  const registry = new Registry();
  const observer = new PrometheusInvocationObserver(registry);
  await observeAll(observer, [
    [outcome({ kind: "success" })],
    [outcome({ kind: "function-error" })],
    [{ kind: "platform-error", code: "TimeoutError", message: "t", durationMs: 3000 }],
    [{ kind: "platform-error", code: "TooManyRequests", message: "busy" }],
  ]);
  assert.deepEqual((await lines(registry, "hotswap_invocations_total")).sort(), [
    'hotswap_invocations_total{function="fn",version="1",outcome="function_error"} 1',
    'hotswap_invocations_total{function="fn",version="1",outcome="success"} 1',
    'hotswap_invocations_total{function="fn",version="1",outcome="timeout"} 1',
  ]);
  assert.deepEqual(await lines(registry, "hotswap_throttles_total"), ['hotswap_throttles_total{function="fn"} 1']);
  assert.deepEqual(await lines(registry, "hotswap_invocation_duration_seconds_count"), ['hotswap_invocation_duration_seconds_count{function="fn",version="1"} 3']);
});

test("counts cold starts by kind and bills GB-seconds from the rounded-up duration and the memory size", async () => {
  const registry = new Registry();
  const observer = new PrometheusInvocationObserver(registry);
  await observeAll(observer, [
    [outcome({ kind: "success", coldStart: true, start: "fresh", durationMs: 0.2 })],
    [outcome({ kind: "success", coldStart: true, start: "stem", durationMs: 1.5 })],
    [outcome({ kind: "success", durationMs: 10 })],
  ]);
  assert.deepEqual((await lines(registry, "hotswap_cold_starts_total")).sort(), [
    'hotswap_cold_starts_total{function="fn",kind="fresh"} 1',
    'hotswap_cold_starts_total{function="fn",kind="stem"} 1',
  ]);
  // 1 ms + 2 ms + 10 ms at 512 MB.
  const [gbs] = await lines(registry, "hotswap_gb_seconds_total");
  assert.match(gbs!, /^hotswap_gb_seconds_total\{function="fn",version="1"\} /);
  assert.ok(Math.abs(Number(gbs!.split(" ")[1]) - 0.0065) < 1e-12, gbs);
  assert.equal(gbSeconds(0, 1024), 0.001, "at least 1 ms is billed");
  assert.equal(gbSeconds(100.01, 2048), 0.202);
});

test("a refusal (the runner never ran it) is counted but neither timed nor billed", async () => {
  const registry = new Registry();
  await observeAll(new PrometheusInvocationObserver(registry), [[{ kind: "platform-error", code: "ServiceUnavailable", message: "draining", refused: true }]]);
  assert.deepEqual(await lines(registry, "hotswap_invocations_total"), ['hotswap_invocations_total{function="fn",version="1",outcome="service_unavailable"} 1']);
  assert.deepEqual(await lines(registry, "hotswap_invocation_duration_seconds_count"), []);
  assert.deepEqual(await lines(registry, "hotswap_gb_seconds_total"), []);
});

test("drops the series of a deleted version and of a deleted function at the next scrape", async () => {
  const registry = new Registry();
  const live = new Map<string, Set<number>>([["fn", new Set([1, 2])]]);
  const observer = new PrometheusInvocationObserver(registry, (fn, v) => (v === undefined ? live.has(fn) : (live.get(fn)?.has(v) ?? false)));
  await observeAll(observer, [[outcome({ kind: "success", coldStart: true, start: "fresh" }), 1], [outcome({ kind: "success" }), 2]]);
  observer.throttled({ functionName: "fn" });
  live.get("fn")!.delete(1);
  assert.deepEqual(await lines(registry, "hotswap_invocations_total"), ['hotswap_invocations_total{function="fn",version="2",outcome="success"} 1']);
  assert.equal((await lines(registry, "hotswap_invocation_duration_seconds_count")).length, 1);
  assert.equal((await lines(registry, "hotswap_cold_starts_total")).length, 1, "the function still exists");
  live.delete("fn");
  const text = await registry.metrics();
  assert.doesNotMatch(text, /function="fn"/);
});

test("the reserved-concurrency stage's throttles are counted, though they never reach the observe stage", async () => {
  const registry = new Registry();
  const observer = new PrometheusInvocationObserver(registry);
  const busy: InvokeOutcome = { kind: "platform-error", code: "TooManyRequests", message: "reserved concurrency" };
  const reservations = countThrottles({ admit: () => busy, release: () => {} }, observer);
  const stage = new ReservedConcurrencyStage(new ObserveStage({ handle: async () => outcome({ kind: "success" }) }, [observer]), reservations);
  assert.equal(await stage.handle(invocationOf({ spec: specOf({ reservedConcurrency: 0 }) })), busy);
  assert.deepEqual(await lines(registry, "hotswap_throttles_total"), ['hotswap_throttles_total{function="fn"} 1']);
  assert.deepEqual(await lines(registry, "hotswap_invocations_total"), []);
});

test("deployments are counted by strategy and status, and every function's rolled-back series exists at 0 before its first rollback", async () => {
  const registry = new Registry();
  const functions = new Set(["a", "b"]);
  const m = new PrometheusDeploymentMetrics(registry, () => functions);
  assert.deepEqual((await lines(registry, "hotswap_deployments_rolled_back_total")).sort(), [
    'hotswap_deployments_rolled_back_total{function="a"} 0',
    'hotswap_deployments_rolled_back_total{function="b"} 0',
  ]);
  assert.ok((await lines(registry, "hotswap_deployments_total")).includes('hotswap_deployments_total{strategy="Canary",status="RolledBack"} 0'));
  m.finished({ functionName: "a", strategy: "Canary" }, "RolledBack");
  m.finished({ functionName: "b", strategy: "Direct" }, "Succeeded");
  functions.delete("b");
  assert.deepEqual(await lines(registry, "hotswap_deployments_rolled_back_total"), ['hotswap_deployments_rolled_back_total{function="a"} 1']);
  const totals = await lines(registry, "hotswap_deployments_total");
  assert.ok(totals.includes('hotswap_deployments_total{strategy="Canary",status="RolledBack"} 1'));
  assert.ok(totals.includes('hotswap_deployments_total{strategy="Direct",status="Succeeded"} 1'));
});
