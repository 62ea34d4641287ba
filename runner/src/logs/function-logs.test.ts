/**
 * Function logs end to end on the process backend: real Node and Python bootstraps on the fast
 * channel and the Runtime API, one and four invocations per instance with interleaved logging,
 * a real LocalRunner and LogShipper, and the records read back from a real state-store stream
 * (the in-memory store and Redis). Each line must carry its own invocation's request id and
 * stream, framed by START … END, REPORT in that order; platform errors leave their notice; the
 * custom runtime's untagged output goes to its single invocation; LogType: Tail returns the tail.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FUNCTION_LOGS_STREAM, FunctionLogBatch, type FunctionLogRecord } from "../../../protocol/function-logs.ts";
import type { FunctionSpec, InvokeOutcome } from "../../../protocol/invoke.ts";
import type { RuntimeId, RuntimeProtocol } from "../../../protocol/runtimes.ts";
import { FsCodeStore } from "../../../shared/code-store/fs-code-store.ts";
import { createStateStore } from "../../../shared/state/index.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { functionSpec } from "../../../tests/support/function-spec.ts";
import { TEST_REDIS_URL, serviceSkipReason, uniquePrefix } from "../../../tests/support/services.ts";
import { waitFor } from "../../../tests/support/wait-for.ts";
import { zipFixture } from "../../../tests/support/zip.ts";
import { ProcessBackend } from "../backends/process/process-backend.ts";
import { CodeCache, removeTree } from "../code-cache/code-cache.ts";
import { LocalRunner } from "../local-runner.ts";
import { LogShipper } from "./log-shipper.ts";

const redisSkip = await serviceSkipReason("redis", TEST_REDIS_URL);

interface Rig {
  runner: LocalRunner;
  state: StateStore;
  deploy(fixture: string, over: Partial<FunctionSpec>): Promise<FunctionSpec>;
  /** Every record shipped so far, in stream order. */
  records(): Promise<FunctionLogRecord[]>;
  close(): Promise<void>;
}

let versions = 0;
let group = 0;

async function rig(store: "memory" | "redis"): Promise<Rig> {
  const root = await mkdtemp(join(tmpdir(), "hs-function-logs-"));
  const codeStore = new FsCodeStore(join(root, "store"));
  await codeStore.init();
  const state = await createStateStore(store === "redis" ? { kind: "redis", url: TEST_REDIS_URL, keyPrefix: uniquePrefix("logs") } : { kind: "memory" });
  const shipper = new LogShipper({ state, log: { debug() {}, warn() {} }, flushMs: 20 });
  const runner = new LocalRunner({
    id: "logs-test",
    backend: new ProcessBackend({ logOutput: { sink: shipper } }),
    codeCache: new CodeCache({ dir: join(root, "code"), codeStore }),
    idleTimeoutMs: 60_000,
    maxInstancesPerVersion: 4,
    queueSize: 64,
    queueTimeoutMs: 20_000,
  });
  const g = `reader-${++group}`;
  await state.createGroup(FUNCTION_LOGS_STREAM, g, "0");
  const seen: FunctionLogRecord[] = [];
  return {
    runner,
    state,
    async deploy(fixture, over) {
      const { sha256 } = await codeStore.put(zipFixture(fixture));
      return functionSpec({ functionName: fixture, version: ++versions, timeout: 10, codeSha256: sha256, ...over });
    },
    async records() {
      for (const e of await state.readGroup(FUNCTION_LOGS_STREAM, g, "c")) seen.push(...FunctionLogBatch.parse(JSON.parse(e.fields.records)));
      return seen;
    },
    async close() {
      await runner.close();
      await shipper.close();
      await state.close();
      await removeTree(root);
    },
  };
}

/** The records of one request once its REPORT has arrived. */
async function recordsOf(r: Rig, requestIds: string[]): Promise<Map<string, FunctionLogRecord[]>> {
  const all = await waitFor(`REPORT for ${requestIds.length} invocations`, () => r.records(), {
    until: (rs) => requestIds.every((id) => rs.some((x) => x.requestId === id && x.message.startsWith("REPORT "))),
    timeoutMs: 15_000,
  });
  const by = new Map<string, FunctionLogRecord[]>();
  for (const id of requestIds) by.set(id, all.filter((x) => x.requestId === id));
  return by;
}

/** START first, END then REPORT last, each once, with the right version. */
function assertFramed(rs: FunctionLogRecord[], id: string, spec: FunctionSpec, cold: boolean): void {
  const platform = rs.filter((x) => x.stream === "platform").map((x) => x.message);
  assert.equal(rs[0].message, `START RequestId: ${id} Version: ${spec.version}`, `first line of ${id}`);
  assert.equal(rs.at(-2)!.message, `END RequestId: ${id}`);
  const report = rs.at(-1)!.message;
  assert.match(report, new RegExp(`^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: ${spec.memorySize} MB\\tMax Memory Used: [1-9]\\d* MB`));
  assert.equal(/\tInit Duration: \d+\.\d\d ms$/.test(report), cold, `Init Duration on ${id} iff cold (${report})`);
  assert.equal(platform.filter((m) => m.startsWith("START ")).length, 1);
  assert.equal(platform.filter((m) => m.startsWith("END ")).length, 1);
  assert.ok(rs.every((x) => x.functionName === spec.functionName && x.version === spec.version));
}

const CASES: Array<{ runtime: RuntimeId; protocol: RuntimeProtocol; fixture: string; five: string }> = [
  { runtime: "nodejs20", protocol: "fast", fixture: "node-log-mix", five: "five" },
  { runtime: "nodejs20", protocol: "runtime-api", fixture: "node-log-mix", five: "five" },
  { runtime: "python3.12", protocol: "fast", fixture: "python-log-mix", five: "INFO five" },
  { runtime: "python3.12", protocol: "runtime-api", fixture: "python-log-mix", five: "INFO five" },
];

for (const store of ["memory", "redis"] as const) {
  describe(`function logs through the ${store} state store`, { skip: store === "redis" ? redisSkip : undefined }, () => {
    let r: Rig;
    let n = 0;
    after(async () => r?.close());

    for (const c of CASES) {
      for (const concurrency of [1, 4]) {
        test(`${c.runtime} over ${c.protocol}, ${concurrency} per instance: every line carries its own request id and stream`, async () => {
          r ??= await rig(store);
          const spec = await r.deploy(c.fixture, {
            runtime: c.runtime,
            protocol: c.protocol,
            handler: c.runtime.startsWith("python") ? "handler.handler" : "index.handler",
            instanceConcurrency: concurrency,
            maxInstances: 1,
          });
          const count = concurrency === 1 ? 3 : 8;
          const ids = Array.from({ length: count }, () => `req-${store}-${++n}`);
          const invoke = (id: string, i: number) =>
            r.runner.invoke({ spec, requestId: id, payload: Buffer.from(JSON.stringify({ tag: `t${i}-${id}`, gapMs: concurrency === 1 ? 2 : 15 })) });
          const outcomes: InvokeOutcome[] = [];
          if (concurrency === 1) for (const [i, id] of ids.entries()) outcomes.push(await invoke(id, i));
          else outcomes.push(...(await Promise.all(ids.map(invoke))));
          for (const o of outcomes) assert.equal(o.kind, "success", JSON.stringify(o));
          const by = await recordsOf(r, ids);
          for (const [i, id] of ids.entries()) {
            const tag = `t${i}-${id}`;
            const rs = by.get(id)!;
            assertFramed(rs, id, spec, outcomes[i].coldStart === true);
            const text = (stream: string) => rs.filter((x) => x.stream === stream).map((x) => x.message);
            assert.deepEqual(text("stdout"), [`one ${tag}`, `two ${tag}`], `stdout of ${id}`);
            assert.deepEqual(text("stderr"), [`three ${tag}`, `four ${tag}`, `${c.five} ${tag}`], `stderr of ${id}`);
          }
          // No line of these invocations went unattributed or to the wrong one.
          const all = await r.records();
          for (const [i, id] of ids.entries()) {
            const tag = `t${i}-${id}`;
            const holders = all.filter((x) => x.message.endsWith(` ${tag}`)).map((x) => x.requestId);
            assert.deepEqual([...new Set(holders)], [id], `lines naming ${tag} belong to ${id} only`);
            assert.ok(!all.some((x) => x.message.includes("\x1e") || x.message.includes("\x1f")), "no tag is left in a message");
          }
        });
      }
    }

    test("a custom runtime's untagged output goes to its single invocation", async () => {
      r ??= await rig(store);
      const spec = await r.deploy("provided-bash", { runtime: "provided", protocol: "runtime-api", handler: "function.handler" });
      const id = `req-${store}-${++n}`;
      const o = await r.runner.invoke({ spec, requestId: id, payload: Buffer.from('{"hello":"bash"}') });
      assert.equal(o.kind, "success", JSON.stringify(o));
      const rs = (await recordsOf(r, [id])).get(id)!;
      assertFramed(rs, id, spec, true);
      assert.ok(rs.some((x) => x.stream === "stderr" && x.message === '{"hello":"bash"}'), JSON.stringify(rs));
    });

    test("a function error, a timeout and a crash each end with a notice, END and REPORT", async () => {
      r ??= await rig(store);
      const mix = await r.deploy("node-log-mix", { timeout: 1 });
      const crash = await r.deploy("node-crash", {});
      const ids = [`req-${store}-${++n}`, `req-${store}-${++n}`, `req-${store}-${++n}`];
      const [failed, timedOut, crashed] = await Promise.all([
        r.runner.invoke({ spec: mix, requestId: ids[0], payload: Buffer.from('{"tag":"f","fail":true,"gapMs":1}') }),
        r.runner.invoke({ spec: mix, requestId: ids[1], payload: Buffer.from('{"tag":"h","hangMs":5000,"gapMs":1}') }),
        r.runner.invoke({ spec: crash, requestId: ids[2], payload: Buffer.from('{"crash":true}') }),
      ]);
      assert.equal(failed.kind, "function-error");
      assert.equal(timedOut.kind === "platform-error" && timedOut.code, "TimeoutError");
      assert.equal(crashed.kind === "platform-error" && crashed.code, "InstanceCrashed");
      const by = await recordsOf(r, ids);
      assertFramed(by.get(ids[0])!, ids[0], mix, failed.coldStart);
      assert.ok(by.get(ids[0])!.some((x) => x.message === "one f"));
      const t = by.get(ids[1])!;
      assertFramed(t, ids[1], mix, timedOut.coldStart === true);
      assert.deepEqual(t.filter((x) => x.stream === "stdout").map((x) => x.message), ["one h", "two h"]);
      assert.equal(t.at(-3)!.message, "Task timed out after 1.00 seconds");
      assert.equal(t.at(-3)!.stream, "platform");
      const k = by.get(ids[2])!;
      assertFramed(k, ids[2], crash, crashed.coldStart === true);
      assert.match(k.at(-3)!.message, /^The runtime exited with code 3 while the invocation was running/);
    });

    test("LogType: Tail returns the invocation's own last lines, START to REPORT", async () => {
      r ??= await rig(store);
      const spec = await r.deploy("node-log-mix", { instanceConcurrency: 2 });
      const [a, b] = [`req-${store}-${++n}`, `req-${store}-${++n}`];
      const [oa, ob] = await Promise.all([
        r.runner.invoke({ spec, requestId: a, payload: Buffer.from('{"tag":"ta","gapMs":10}'), logTail: true }),
        r.runner.invoke({ spec, requestId: b, payload: Buffer.from('{"tag":"tb","gapMs":10}') }),
      ]);
      assert.equal(ob.logTail, undefined, "no tail unless asked");
      const tail = oa.logTail ?? "";
      assert.ok(tail.startsWith(`START RequestId: ${a} Version: ${spec.version}\n`), tail);
      for (const line of ["one ta", "two ta", "three ta", "four ta", "five ta", `END RequestId: ${a}`]) assert.ok(tail.includes(`${line}\n`), `${line} in ${tail}`);
      assert.match(tail, new RegExp(`\\nREPORT RequestId: ${a}\\t[^\\n]*\\n$`));
      assert.ok(!tail.includes("tb"), "the other invocation's lines are not in this tail");
    });
  });
}
