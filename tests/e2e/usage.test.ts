/**
 * End-to-end: usage and cost on a real embedded platform. A function is invoked with cold starts,
 * handler errors and a timeout, on two versions of different memory sizes; the usage API, read
 * through the typed client, reports exact counts, GB-seconds that match the billed milliseconds
 * and memory sizes, hour and day buckets, and cost estimates at the configured prices. Throttled
 * invocations are not counted, a deleted function stays in the all-functions view, and a restart
 * of the platform on the same data directory keeps every number, including invocations counted
 * just before a clean stop (the flush interval is long, so only the stop writes them).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import type { FunctionUsage, UsageFigures } from "../../protocol/api/usage.ts";
import { apiOf, deployFunction, expectOk, invokeFunction, nodeCode, publishCode, type InvokeAnswer } from "../support/deploy.ts";
import { it, startPlatform, type TestPlatform } from "../support/platform.ts";

const PRICES = { HOTSWAP_PRICE_PER_GB_SECOND: "0.00005", HOTSWAP_PRICE_PER_MILLION_REQUESTS: "4", HOTSWAP_PRICE_CURRENCY: "EUR" };
const PRICING = { currency: "EUR", pricePerGbSecond: 0.00005, pricePerMillionRequests: 4 };

const HANDLER = nodeCode(`
exports.handler = async (event) => {
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
  if (event.fail) throw new Error("asked to fail");
  return { ok: true };
};`);

/** What the test saw of its invocations, per version: the expected usage and the client-side time spent. */
interface Seen {
  invocations: number;
  errors: number;
  coldStarts: number;
  /** Σ client round-trip ms: an upper bound of the billed ms (each billed duration was spent inside one). */
  roundTripMs: number;
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} ≠ ${b}`);

function assertCost(f: UsageFigures, what: string) {
  close(f.estimatedCost, f.gbSeconds * PRICING.pricePerGbSecond + (f.invocations / 1e6) * PRICING.pricePerMillionRequests, `${what} estimatedCost`);
}

function assertSumOfBuckets(u: { buckets: UsageFigures[]; total: UsageFigures }, what: string) {
  for (const k of ["invocations", "errors", "coldStarts", "billedMs"] as const) {
    assert.equal(u.buckets.reduce((n, b) => n + b[k], 0), u.total[k], `${what}: Σ buckets.${k} = total.${k}`);
  }
  close(u.buckets.reduce((n, b) => n + b.gbSeconds, 0), u.total.gbSeconds, `${what}: Σ buckets.gbSeconds`);
  for (const b of u.buckets) assertCost(b, `${what} bucket ${(b as { start?: string }).start}`);
  assertCost(u.total, `${what} total`);
}

describe("usage and cost [embedded]", { timeout: 240_000 }, () => {
  let dataDir: string;
  let p: TestPlatform;
  const seen: Record<number, Seen> = { 1: { invocations: 0, errors: 0, coldStarts: 0, roundTripMs: 0 }, 2: { invocations: 0, errors: 0, coldStarts: 0, roundTripMs: 0 } };
  const start = () => startPlatform("embedded", { HOTSWAP_DATA_DIR: dataDir, HOTSWAP_USAGE_FLUSH_MS: "300000", RUNNER_STEMS: "0", ...PRICES });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "hs-usage-"));
    p = await start();
  });
  after(async () => {
    await p?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Invoke `usage-fn` and note what the answer says about its usage. */
  async function call(version: number, event: object): Promise<InvokeAnswer> {
    const t0 = performance.now();
    const a = await invokeFunction(p, "usage-fn", event, { qualifier: version });
    const s = seen[version]!;
    s.roundTripMs += performance.now() - t0;
    s.invocations++;
    if (a.status !== 200) s.errors++;
    if (a.headers.get("x-hotswap-cold-start") === "true") s.coldStarts++;
    return a;
  }

  it("counts invocations, errors (handler errors and a timeout), cold starts, billed ms and GB-seconds per version", async () => {
    await deployFunction(p, { name: "usage-fn", code: HANDLER, memorySize: 256, timeout: 1 });
    expectOk(await apiOf(p).functions.update("usage-fn", { memorySize: 512 }), "raising the memory size");
    assert.equal(await publishCode(p, "usage-fn", HANDLER), 2);

    const first = await call(1, { sleep: 20 });
    assert.equal(first.headers.get("x-hotswap-cold-start"), "true", "the first call starts an instance");
    for (let i = 0; i < 6; i++) assert.equal((await call(1, { sleep: 20 })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await call(1, { fail: true })).status, 500);
    assert.equal((await call(1, { sleep: 1500 })).status, 504, "a timeout: billed, as an error");
    assert.equal((await call(1, {})).headers.get("x-hotswap-cold-start"), "true", "after the timeout killed the instance");
    for (let i = 0; i < 4; i++) assert.equal((await call(2, { sleep: 5 })).status, 200);
    assert.deepEqual([seen[1]!.invocations, seen[1]!.errors, seen[2]!.invocations, seen[2]!.errors], [12, 4, 4, 0]);

    const u = expectOk(await apiOf(p).functionUsage("usage-fn"), "reading usage");
    assert.equal(u.functionName, "usage-fn");
    assert.equal(u.version, null);
    assert.equal(u.granularity, "hour");
    assert.deepEqual(u.pricing, PRICING, "the prices the estimate assumed");
    assert.deepEqual(
      u.versions.map((v) => [v.version, v.invocations, v.errors, v.coldStarts]),
      [1, 2].map((v) => [v, seen[v]!.invocations, seen[v]!.errors, seen[v]!.coldStarts]),
    );
    const [v1, v2] = u.versions as [FunctionUsage["versions"][number], FunctionUsage["versions"][number]];
    // Billed: at least the sleeps and the 1 s timeout, at least 1 ms a call, at most the time the client waited.
    assert.ok(v1.billedMs >= 7 * 20 + 1000 + 5, `v1 billed ${v1.billedMs} ms`);
    assert.ok(v1.billedMs <= Math.ceil(seen[1]!.roundTripMs) + seen[1]!.invocations, `v1 billed ${v1.billedMs} ms, the client waited ${seen[1]!.roundTripMs} ms`);
    assert.ok(v2.billedMs >= 4 * 5 && v2.billedMs <= Math.ceil(seen[2]!.roundTripMs) + 4, `v2 billed ${v2.billedMs} ms`);
    close(v1.gbSeconds, (v1.billedMs * 256) / 1024 / 1000, "v1 GB-s = billed s × 0.25 GB");
    close(v2.gbSeconds, (v2.billedMs * 512) / 1024 / 1000, "v2 GB-s = billed s × 0.5 GB");
    assert.equal(u.total.invocations, 16);
    assert.equal(u.total.errors, 4);
    assert.equal(u.total.coldStarts, seen[1]!.coldStarts + seen[2]!.coldStarts);
    assert.equal(u.total.billedMs, v1.billedMs + v2.billedMs);
    close(u.total.gbSeconds, v1.gbSeconds + v2.gbSeconds, "total GB-s");
    for (const v of u.versions) assertCost(v, `version ${v.version}`);
    assertSumOfBuckets(u, "hourly");
    // One bucket, or two when the test ran across the top of an hour.
    assert.ok(u.buckets.length >= 1 && u.buckets.length <= 2, `${u.buckets.length} hour buckets`);
    for (const b of u.buckets) assert.match(b.start, /T\d\d:00:00\.000Z$/);

    const days = expectOk(await apiOf(p).functionUsage("usage-fn", { granularity: "day" }), "reading daily usage");
    assert.equal(days.granularity, "day");
    assert.deepEqual(days.total, u.total, "the same usage, in day buckets");
    assertSumOfBuckets(days, "daily");
    for (const b of days.buckets) assert.match(b.start, /T00:00:00\.000Z$/);

    const only2 = expectOk(await apiOf(p).functionUsage("usage-fn", { version: 2 }), "reading version 2");
    assert.equal(only2.version, 2);
    assert.deepEqual(only2.versions.map((v) => v.version), [2]);
    const { version: _v, ...v2Figures } = v2;
    assert.deepEqual(only2.total, v2Figures, "version 2 alone");
  });

  it("does not count throttled invocations", async () => {
    await deployFunction(p, { name: "usage-throttled", code: HANDLER, reservedConcurrency: 0 });
    assert.equal((await invokeFunction(p, "usage-throttled", {})).status, 429);
    const u = expectOk(await apiOf(p).functionUsage("usage-throttled"), "reading usage");
    assert.deepEqual([u.total.invocations, u.buckets, u.versions], [0, [], []]);
  });

  it("answers the usage of every function with per-function totals and a grand total, deleted functions included", async () => {
    await deployFunction(p, { name: "usage-gone", code: HANDLER, memorySize: 128 });
    assert.equal((await invokeFunction(p, "usage-gone", {})).status, 200);
    expectOk(await apiOf(p).functions.delete("usage-gone"), "deleting usage-gone");
    const gone = await apiOf(p).functionUsage("usage-gone");
    assert.ok(!gone.ok && gone.error.status === 404 && gone.error.code === "FunctionNotFound", "a deleted function's own usage route is 404");

    const all = expectOk(await apiOf(p).usage(), "reading all usage");
    assert.deepEqual(all.pricing, PRICING);
    assert.deepEqual(all.functions.map((f) => [f.functionName, f.invocations]), [
      ["usage-fn", 16],
      ["usage-gone", 1],
    ]);
    const fn = expectOk(await apiOf(p).functionUsage("usage-fn"), "reading usage-fn");
    const { functionName: _n, ...fnTotals } = all.functions[0]!;
    assert.deepEqual(fnTotals, fn.total, "the per-function total is the function's own total");
    assert.equal(all.total.invocations, 17);
    assert.equal(all.total.billedMs, all.functions[0]!.billedMs + all.functions[1]!.billedMs);
    assertSumOfBuckets(all, "all functions");
    const daily = expectOk(await apiOf(p).usage({ granularity: "day" }), "reading all usage by day");
    assert.deepEqual(daily.total, all.total);
  });

  it("answers 404 FunctionNotFound for an unknown function and 400 ValidationError for a bad range", async () => {
    const unknown = await apiOf(p).functionUsage("no-such-fn");
    assert.ok(!unknown.ok);
    assert.deepEqual([unknown.error.status, unknown.error.code], [404, "FunctionNotFound"]);
    const long = await apiOf(p).usage({ from: "2025-01-01", to: "2026-06-01", granularity: "day" });
    assert.ok(!long.ok);
    assert.deepEqual([long.error.status, long.error.code], [400, "ValidationError"]);
    assert.match(long.error.message, /covers 516 days; one query may cover at most 366/);
    const reversed = await apiOf(p).functionUsage("usage-fn", { from: "2026-12-02T00:00:00Z", to: "2026-12-01T00:00:00Z" });
    assert.ok(!reversed.ok);
    assert.match(reversed.error.message, /"from" \(2026-12-02T00:00:00.000Z\) must be before "to"/);
    const badTime = await apiOf(p).usage({ from: "yesterday" });
    assert.ok(!badTime.ok);
    assert.deepEqual([badTime.error.status, badTime.error.code], [400, "ValidationError"]);
    assert.match(badTime.error.message, /query field "from": must be an ISO-8601 time/);
    const badVersion = await apiOf(p).functionUsage("usage-fn", { version: "x" });
    assert.ok(!badVersion.ok && badVersion.error.status === 400);
  });

  it("keeps every number across a restart, including invocations counted just before a clean stop", async () => {
    const before = expectOk(await apiOf(p).usage(), "usage before the restart");
    // Counted in memory only: the flush interval is 5 minutes, so only the clean stop writes these.
    for (let i = 0; i < 3; i++) assert.equal((await call(2, {})).status, 200);
    await p.close();
    p = await start();
    const afterRestart = expectOk(await apiOf(p).usage(), "usage after the restart");
    const fnBefore = before.functions.find((f) => f.functionName === "usage-fn")!;
    const fnAfter = afterRestart.functions.find((f) => f.functionName === "usage-fn")!;
    assert.equal(fnAfter.invocations, fnBefore.invocations + 3);
    assert.equal(afterRestart.total.invocations, before.total.invocations + 3);
    assert.deepEqual(afterRestart.functions.find((f) => f.functionName === "usage-gone"), before.functions.find((f) => f.functionName === "usage-gone"));
    const v2 = expectOk(await apiOf(p).functionUsage("usage-fn", { version: 2 }), "version 2 after the restart");
    assert.equal(v2.total.invocations, seen[2]!.invocations);
    assert.equal(v2.total.errors, 0);
    close(v2.total.gbSeconds, (v2.total.billedMs * 512) / 1024 / 1000, "v2 GB-s after the restart");
  });
});
