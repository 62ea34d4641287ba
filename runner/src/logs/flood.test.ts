/**
 * A function that floods its log does not hurt anyone else: one instance writes stdout as fast as
 * its pipe takes it for ~2 s beside a normal function on the same runner. The normal function's
 * warm latency stays bounded, the runner's memory stays bounded, the flood is cut to the budget
 * behind a visible marker, and the flooding invocation itself completes (its pipe kept draining).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FUNCTION_LOGS_STREAM, type FunctionLogRecord } from "../../../protocol/function-logs.ts";
import { recordsOfRows } from "../../../protocol/function-log-rows.ts";
import { FsCodeStore } from "../../../shared/code-store/fs-code-store.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import { functionSpec } from "../../../tests/support/function-spec.ts";
import { zipFixture } from "../../../tests/support/zip.ts";
import { ProcessBackend } from "../backends/process/process-backend.ts";
import { CodeCache, removeTree } from "../code-cache/code-cache.ts";
import { LocalRunner } from "../local-runner.ts";
import { DEFAULT_FLOOD_LIMITS } from "./flood-budget.ts";
import { LogShipper } from "./log-shipper.ts";

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

test("a 2 s log flood is cut behind a marker and does not slow a neighbour or grow the runner", async () => {
  const root = await mkdtemp(join(tmpdir(), "hs-flood-"));
  const codeStore = new FsCodeStore(join(root, "store"));
  await codeStore.init();
  const state = new MemoryStateStore();
  const shipper = new LogShipper({ state, log: { debug() {}, warn() {} } });
  const runner = new LocalRunner({
    id: "flood-test",
    backend: new ProcessBackend({ logOutput: { sink: shipper } }),
    codeCache: new CodeCache({ dir: join(root, "code"), codeStore }),
    idleTimeoutMs: 60_000,
    maxInstancesPerVersion: 2,
    queueSize: 16,
    queueTimeoutMs: 10_000,
  });
  try {
    const { sha256: mixSha } = await codeStore.put(zipFixture("node-log-mix"));
    const { sha256: echoSha } = await codeStore.put(zipFixture("node-cjs"));
    const flood = functionSpec({ functionName: "flooder", handler: "index.flood", codeSha256: mixSha, timeout: 20 });
    const echo = functionSpec({ functionName: "neighbour", codeSha256: echoSha, timeout: 5 });
    const call = async () => {
      const t0 = performance.now();
      const o = await runner.invoke({ spec: echo, requestId: `n-${Math.random()}`, payload: Buffer.from('{"x":1}') });
      assert.equal(o.kind, "success", JSON.stringify(o));
      return performance.now() - t0;
    };
    // Warm the neighbour and measure it quietly first.
    await call();
    const quiet: number[] = [];
    for (let i = 0; i < 30; i++) quiet.push(await call());

    const rss0 = process.memoryUsage().rss;
    let rssPeak = rss0;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 25);
    const flooding = runner.invoke({ spec: flood, requestId: "flood-1", payload: Buffer.from('{"ms":2000}') });
    let done = false;
    void flooding.finally(() => (done = true));
    const busy: number[] = [];
    while (!done) busy.push(await call());
    clearInterval(sampler);
    const fo = await flooding;
    assert.equal(fo.kind, "success", JSON.stringify(fo).slice(0, 300));
    const written = JSON.parse((fo as { payload: Buffer }).payload.toString()).bytes as number;

    const q50 = percentile(quiet, 50);
    const b50 = percentile(busy, 50);
    const b99 = percentile(busy, 99);
    console.log(
      `flood: ${(written / 1e6).toFixed(0)} MB written in ~2 s; neighbour p50 ${q50.toFixed(2)} → ${b50.toFixed(2)} ms, p99 ${b99.toFixed(2)} ms over ${busy.length} calls; runner RSS +${((rssPeak - rss0) / 1e6).toFixed(1)} MB`,
    );
    assert.ok(written >= 20e6, `the flooding function was not blocked: it wrote ${written} bytes (≥ 10 MB/s)`);
    assert.ok(busy.length >= 20, `the neighbour kept being served: ${busy.length} calls in 2 s`);
    assert.ok(b50 < Math.max(25, q50 * 5), `neighbour median ${b50.toFixed(2)} ms during the flood (quiet ${q50.toFixed(2)} ms)`);
    assert.ok(b99 < 250, `neighbour p99 ${b99.toFixed(2)} ms during the flood`);
    assert.ok(rssPeak - rss0 < 100e6, `runner RSS grew ${((rssPeak - rss0) / 1e6).toFixed(1)} MB`);

    await new Promise((r) => setTimeout(r, 100));
    await shipper.flush();
    await state.createGroup(FUNCTION_LOGS_STREAM, "check", "0");
    const records: FunctionLogRecord[] = [];
    for (const e of await state.readGroup(FUNCTION_LOGS_STREAM, "check", "c")) records.push(...recordsOfRows(JSON.parse(e.fields.rows!)));
    const mine = records.filter((r) => r.functionName === "flooder");
    const kept = mine.filter((r) => r.stream === "stdout").reduce((n, r) => n + Buffer.byteLength(r.message) + 1, 0);
    const markers = mine.filter((r) => r.stream === "platform" && / bytes of log output dropped: the function wrote more than 1 MiB\/s/.test(r.message));
    const dropped = markers.reduce((n, r) => n + Number(/… (\d+) bytes/.exec(r.message)![1]), 0);
    const budget = DEFAULT_FLOOD_LIMITS.burstBytes + 3 * DEFAULT_FLOOD_LIMITS.rateBytes;
    assert.ok(kept <= budget, `kept ${kept} bytes, within the budget of ${budget}`);
    assert.ok(markers.length >= 1 && markers.length <= 5, `${markers.length} markers (at most one a second)`);
    assert.ok(markers.every((m) => m.requestId === "flood-1"));
    // The pipe carried each 1024-byte line with its tag (\x1e flood-1 \x1f) in front.
    const tagBytes = "\x1eflood-1\x1f".length;
    const piped = written + (written / 1024) * tagBytes;
    const keptPiped = kept + mine.filter((r) => r.stream === "stdout").length * tagBytes;
    assert.ok(Math.abs(keptPiped + dropped - piped) <= 64 * 1024, `kept ${keptPiped} + dropped ${dropped} = piped ${piped}`);
    assert.ok(mine.at(-1)!.message.startsWith("REPORT RequestId: flood-1"), "the invocation is still framed");
    assert.ok(records.every((r) => r.functionName !== "neighbour" || r.stream === "platform"), "the neighbour's records are its own");
  } finally {
    await runner.close();
    await shipper.close();
    await state.close();
    await removeTree(root);
  }
});
