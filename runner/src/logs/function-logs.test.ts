/**
 * Function logs end to end on the process backend: real Node, Python and Ruby bootstraps on the fast
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
import type { FunctionLogRecord } from "../../../protocol/function-logs.ts";
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import type { RuntimeId, RuntimeProtocol } from "../../../protocol/runtimes.ts";
import { FsCodeStore } from "../../../shared/code-store/fs-code-store.ts";
import { createStateStore } from "../../../shared/state/index.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { functionSpec } from "../../../tests/support/function-spec.ts";
import { TEST_REDIS_URL, serviceSkipReason, uniquePrefix } from "../../../tests/support/services.ts";
import { javaFunctionZip, javaMissing } from "../../../tests/support/java-function.ts";
import { zipFixture } from "../../../tests/support/zip.ts";
import { ProcessBackend } from "../backends/process/process-backend.ts";
import { CodeCache, removeTree } from "../code-cache/code-cache.ts";
import { LocalRunner } from "../local-runner.ts";
import { LogShipper } from "./log-shipper.ts";
import { assertFramed, assertLogMix, recordsOf, streamReader } from "./function-logs.contract.ts";

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
  const records = await streamReader(state, `reader-${++group}`);
  return {
    runner,
    state,
    async deploy(fixture, over) {
      const { sha256 } = await codeStore.put(fixture === "java-handlers" ? await javaFunctionZip() : zipFixture(fixture));
      return functionSpec({ functionName: fixture, version: ++versions, timeout: 10, codeSha256: sha256, ...over });
    },
    records,
    async close() {
      await runner.close();
      await shipper.close();
      await state.close();
      await removeTree(root);
    },
  };
}

const CASES: Array<{ runtime: RuntimeId; protocol: RuntimeProtocol; fixture: string; five: string }> = [
  { runtime: "nodejs20", protocol: "fast", fixture: "node-log-mix", five: "five" },
  { runtime: "nodejs20", protocol: "runtime-api", fixture: "node-log-mix", five: "five" },
  { runtime: "python3.12", protocol: "fast", fixture: "python-log-mix", five: "INFO five" },
  { runtime: "python3.12", protocol: "runtime-api", fixture: "python-log-mix", five: "INFO five" },
  { runtime: "ruby3.1", protocol: "fast", fixture: "ruby-log-mix", five: "INFO five" },
  { runtime: "ruby3.1", protocol: "runtime-api", fixture: "ruby-log-mix", five: "INFO five" },
  ...(javaMissing() ? [] : (["fast", "runtime-api"] as const).map((protocol) => ({ runtime: "java17" as const, protocol, fixture: "java-handlers", five: "five" }))),
];
const HANDLERS: Record<string, string> = { "java-handlers": "example.LogMix", "ruby-log-mix": "function.handler" };

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
            handler: HANDLERS[c.fixture] ?? (c.runtime.startsWith("python") ? "handler.handler" : "index.handler"),
            instanceConcurrency: concurrency,
            maxInstances: 1,
          });
          await assertLogMix({ invoke: (req) => r.runner.invoke(req), read: () => r.records(), spec, five: c.five, idPrefix: `req-${store}-${++n}` });
        });
      }
    }

    test("a custom runtime's untagged output goes to its single invocation", async () => {
      r ??= await rig(store);
      const spec = await r.deploy("provided-bash", { runtime: "provided", protocol: "runtime-api", handler: "function.handler" });
      const id = `req-${store}-${++n}`;
      const o = await r.runner.invoke({ spec, requestId: id, payload: Buffer.from('{"hello":"bash"}') });
      assert.equal(o.kind, "success", JSON.stringify(o));
      const rs = (await recordsOf(() => r.records(), [id])).get(id)!;
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
      const by = await recordsOf(() => r.records(), ids);
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
