/**
 * LocalRunner end to end on one machine: the real ProcessBackend running the real Node bootstrap,
 * the real FsCodeStore, CodeCache and extractZip, on fixture functions zipped with fflate.
 * Every test has its own temp dir, closes its runner, and checks that no instance process is left.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FunctionSpec, InvokeOutcome } from "../../protocol/invoke.ts";
import { FsCodeStore } from "../../shared/code-store/fs-code-store.ts";
import { functionSpec } from "../../tests/support/function-spec.ts";
import { waitFor } from "../../tests/support/wait-for.ts";
import { zipFixture } from "../../tests/support/zip.ts";
import { ProcessBackend } from "./backends/process/process-backend.ts";
import { CodeCache, removeTree } from "./code-cache/code-cache.ts";
import { LocalRunner, type LocalRunnerOptions } from "./local-runner.ts";

interface Harness {
  runner: LocalRunner;
  /** Upload a fixture and return a spec for it. */
  deploy(fixture: string, over?: Partial<FunctionSpec>): Promise<FunctionSpec>;
  invoke(spec: FunctionSpec, event: unknown): Promise<InvokeOutcome>;
  /** Packages the code cache has downloaded from the store so far. */
  storeGets(): number;
  /** The code cache's directory. */
  codeDir: string;
  backend: ProcessBackend;
}

let versions = 0;

async function harness(t: { after(fn: () => Promise<void>): void }, over: Partial<LocalRunnerOptions> = {}): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), "hs-local-runner-"));
  const store = new FsCodeStore(join(root, "store"));
  await store.init();
  const backend = new ProcessBackend();
  let gets = 0;
  const runner = new LocalRunner({
    id: "local-test",
    backend,
    codeCache: new CodeCache({ dir: join(root, "code"), codeStore: { get: (sha) => (gets++, store.get(sha)) } }),
    idleTimeoutMs: 60_000,
    maxInstancesPerVersion: 8,
    queueSize: 64,
    queueTimeoutMs: 10_000,
    ...over,
  });
  const pids = new Set<number>();
  const before = new Set(await childPids()); // e.g. tsx's esbuild service
  t.after(async () => {
    await runner.close();
    await removeTree(root);
    for (const pid of pids) assert.equal(isRunning(pid), false, `instance process ${pid} outlived the runner`);
    const left = (await childPids()).filter((p) => !before.has(p));
    assert.deepEqual(left, [], "no instance process outlives the runner");
  });
  let n = 0;
  return {
    runner,
    storeGets: () => gets,
    codeDir: join(root, "code"),
    backend,
    async deploy(fixture, specOver = {}) {
      const { sha256 } = await store.put(zipFixture(fixture));
      return functionSpec({ functionName: fixture, version: ++versions, timeout: 10, codeSha256: sha256, ...specOver });
    },
    async invoke(spec, event) {
      const o = await runner.invoke({ spec, requestId: `req-${++n}`, payload: Buffer.from(JSON.stringify(event)) });
      if (o.kind === "success") {
        const body = JSON.parse(o.payload.toString());
        if (typeof body?.pid === "number") pids.add(body.pid);
      }
      return o;
    },
  };
}

/** Live child processes of this test process, from /proc (Linux); zombies count as gone. */
async function childPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    // Fields after the parenthesised command name: state, ppid, ...
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(ppid) === process.pid && state !== "Z") pids.push(Number(name));
  }
  return pids;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function body(o: InvokeOutcome): any {
  assert.equal(o.kind, "success", JSON.stringify(o));
  return JSON.parse((o as { payload: Buffer }).payload.toString());
}

function platformError(o: InvokeOutcome, code: string): string {
  assert.equal(o.kind, "platform-error", JSON.stringify(o));
  assert.equal((o as { code: string }).code, code, JSON.stringify(o));
  return (o as { message: string }).message;
}

test("runs a Node echo handler: a fresh cold start first, then warm on the same instance", async (t) => {
  const h = await harness(t);
  const spec = await h.deploy("node-cjs", { environment: { FOO: "bar" } });
  const cold = await h.invoke(spec, { hello: "world" });
  assert.equal(cold.coldStart, true);
  assert.equal(cold.start, "fresh");
  const first = body(cold);
  assert.deepEqual(first.echo, { hello: "world" });
  assert.equal(first.requestId, "req-1");
  assert.equal(first.foo, "bar");
  const warm = await h.invoke(spec, { n: 2 });
  assert.equal(warm.coldStart, false);
  assert.equal(warm.start, "warm");
  assert.deepEqual(body(warm).echo, { n: 2 });
  assert.ok((warm.durationMs ?? Infinity) < (cold.durationMs ?? 0), "a warm invocation skips the init time");
  const status = h.runner.status();
  assert.equal(status.instances, 1);
  assert.equal(status.state, "ready");
  assert.deepEqual(Object.values(status.warm), [1]);
});

test("kills an instance that runs past its timeout and starts a new one for the next invocation", async (t) => {
  const h = await harness(t);
  const spec = await h.deploy("node-sleep", { timeout: 0.5 });
  body(await h.invoke(spec, { ms: 1 })); // warm up, so the timing below is the invocation's alone
  const t0 = Date.now();
  assert.equal(platformError(await h.invoke(spec, { ms: 30_000 }), "TimeoutError"), "Task timed out after 0.50 seconds");
  assert.ok(Date.now() - t0 < 10_000, "the invocation did not wait for the handler");
  const next = await h.invoke(spec, { ms: 1 });
  assert.deepEqual(body(next), { slept: 1 });
  assert.equal(next.coldStart, true);
  assert.equal(h.runner.status().instances, 1);
});

test("reports InstanceCrashed when the handler exits the process, then recovers on a fresh instance", async (t) => {
  const h = await harness(t);
  const spec = await h.deploy("node-crash");
  body(await h.invoke(spec, {}));
  platformError(await h.invoke(spec, { crash: true }), "InstanceCrashed");
  const next = await h.invoke(spec, {});
  assert.deepEqual(body(next), { ok: true });
  assert.equal(next.coldStart, true);
});

test("reports OutOfMemory when the handler exhausts its memory", async (t) => {
  const h = await harness(t);
  const spec = await h.deploy("node-oom", { memorySize: 128, timeout: 30 });
  platformError(await h.invoke(spec, {}), "OutOfMemory");
  assert.equal(h.runner.status().instances, 0);
});

test("returns InitError with the loader's message for a syntax error and for a missing export", async (t) => {
  const h = await harness(t);
  const broken = await h.deploy("node-syntax-error");
  assert.ok(platformError(await h.invoke(broken, {}), "InitError").length > 0);
  const missing = await h.deploy("node-missing-export");
  assert.match(platformError(await h.invoke(missing, {}), "InitError"), /handler/i);
  assert.equal(h.runner.status().instances, 0);
});

test("fails the invocation with a message naming the package when its code is not in the code store", async (t) => {
  const h = await harness(t);
  const spec = { ...(await h.deploy("node-cjs")), codeSha256: "f".repeat(64) };
  assert.match(platformError(await h.invoke(spec, {}), "InternalError"), /code package f{64} is not in the code store/);
});

test("answers 20 concurrent invocations correctly, queueing beyond the instance cap", async (t) => {
  const h = await harness(t, { maxInstancesPerVersion: 8 });
  const spec = await h.deploy("node-cjs");
  const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => h.invoke(spec, { i })));
  outcomes.forEach((o, i) => assert.deepEqual(body(o).echo, { i }));
  assert.ok(h.runner.status().instances <= 8);
  assert.ok(outcomes.some((o) => o.coldStart) && outcomes.some((o) => !o.coldStart));
});

test("runs up to instanceConcurrency invocations at once in one instance", async (t) => {
  const h = await harness(t);
  const spec = await h.deploy("node-concurrent", { instanceConcurrency: 4 });
  const results = (await Promise.all([1, 2, 3, 4].map(() => h.invoke(spec, { ms: 300 })))).map(body);
  assert.equal(new Set(results.map((r) => r.pid)).size, 1);
  assert.equal(Math.max(...results.map((r) => r.maxConcurrent)), 4);
});

test("drain finishes in-flight work, refuses new work, and stops every instance", async (t) => {
  const h = await harness(t);
  const spec = await h.deploy("node-concurrent");
  const first = body(await h.invoke(spec, { ms: 1 }));
  const inflight = h.invoke(spec, { ms: 300 }); // dispatched synchronously to the warm instance
  const drained = h.runner.drain();
  assert.match(platformError(await h.invoke(spec, {}), "ServiceUnavailable"), /runner is draining/);
  assert.equal(body(await inflight).pid, first.pid);
  await drained;
  assert.equal(h.runner.status().state, "stopped");
  assert.equal(h.runner.status().instances, 0);
  assert.equal(isRunning(first.pid), false);
});

test("a Python instance that exits (a handler's sys.exit, SIGTERM) answers the next invocation from a new instance (never InstanceCrashed)", async (t) => {
  const h = await harness(t);
  for (const protocol of ["fast", "runtime-api"] as const) {
    for (const instanceConcurrency of [1, 2]) {
      const spec = await h.deploy("python-exit", { runtime: "python3.11", handler: "handler.handler", protocol, instanceConcurrency });
      for (const how of ["sys.exit", "SIGTERM", "SIGTERM to itself"]) {
        for (let round = 0; round < 3; round++) {
          const what = `${protocol} x${instanceConcurrency} ${how} round ${round}`;
          const { pid } = body(await h.invoke(spec, {}));
          if (how === "sys.exit") {
            // That call fails as a Node process.exit does: the runtime exited (Lambda's Runtime.ExitError).
            assert.match(platformError(await h.invoke(spec, { do: "exit" }), "InstanceCrashed"), /exited with code 3 .*Runtime\.ExitError/, what);
          } else if (how === "SIGTERM to itself") {
            // From a worker thread, too (x2): Python runs the handler on its main thread, which may be about to block in a read.
            assert.equal((await h.invoke(spec, { do: "sigterm" })).kind, "platform-error", what);
          } else {
            process.kill(pid, "SIGTERM");
            await waitFor(`${what}: instance ${pid} gone`, () => !isRunning(pid), { intervalMs: 5 });
          }
          // Sent at once, while the runner may still be noticing the exit.
          const next = await h.invoke(spec, {});
          assert.equal(next.kind, "success", `${what}: the next call is answered, not ${JSON.stringify(next)}`);
          assert.equal(next.coldStart, true, `${what}: by a new instance`);
          assert.notEqual(body(next).pid, pid);
        }
      }
      // A thread's uncaught exception does not end a Python process: the same instance answers again.
      const first = body(await h.invoke(spec, { do: "thread" }));
      const again = await h.invoke(spec, {});
      assert.equal(again.coldStart, false);
      assert.equal(body(again).pid, first.pid);
    }
  }
});

test("stops idle instances after idleTimeoutMs", async (t) => {
  const h = await harness(t, { idleTimeoutMs: 200 });
  const spec = await h.deploy("node-concurrent");
  const { pid } = body(await h.invoke(spec, { ms: 1 }));
  assert.equal(h.runner.status().instances, 1);
  await waitFor(`idle instance ${pid} to be stopped`, () => !isRunning(pid), { intervalMs: 50 });
  assert.equal(isRunning(pid), false);
  assert.equal(h.runner.status().instances, 0);
  const again = await h.invoke(spec, { ms: 1 });
  assert.equal(again.coldStart, true);
});

test("after an uncaught exception or unhandled rejection, the very next invocation runs on a fresh instance (never InstanceCrashed)", async (t) => {
  const h = await harness(t);
  for (const protocol of ["fast", "runtime-api"] as const) {
    for (const handler of ["index.handler", "index.rejection"]) {
      const spec = await h.deploy("node-uncaught", { handler, protocol });
      for (let round = 0; round < 5; round++) {
        const what = `${protocol} ${handler} round ${round}`;
        const crashed = await h.invoke(spec, {});
        assert.equal(crashed.kind, "function-error", `${what}: ${JSON.stringify(crashed)}`);
        // Sent as soon as the error is back, while the instance is still exiting.
        const next = await h.invoke(spec, {});
        assert.equal(next.kind, "function-error", `${what}: the next call is answered by the handler, not ${JSON.stringify(next)}`);
        assert.equal(next.coldStart, true, `${what}: answered by a new instance`);
      }
    }
  }
});

test("instances started to hold provisioned concurrency say so in AWS_LAMBDA_INITIALIZATION_TYPE; on-demand ones too", async (t) => {
  const h = await harness(t);
  const env = async (spec: FunctionSpec) => {
    const o = await h.invoke(spec, {});
    assert.equal(o.kind, "success", JSON.stringify(o));
    return JSON.parse((o as { payload: Buffer }).payload.toString()).env;
  };
  const held = await h.deploy("node-lambda-facts");
  assert.equal(await h.runner.provision(held, 1, { holdMs: 60_000 }), 1);
  assert.equal((await env(held)).AWS_LAMBDA_INITIALIZATION_TYPE, "provisioned-concurrency");
  const onDemand = await h.deploy("node-lambda-facts");
  const facts = await env(onDemand);
  assert.equal(facts.AWS_LAMBDA_INITIALIZATION_TYPE, "on-demand");
  assert.equal(facts.AWS_LAMBDA_LOG_GROUP_NAME, "/aws/lambda/node-lambda-facts");
});

test("prefetch extracts and verifies a version's code without starting an instance; its first cold start then takes it from the cache", async (t) => {
  const h = await harness(t);
  const spec = await h.deploy("node-cjs");
  await h.runner.prefetch(spec);
  assert.equal(h.storeGets(), 1, "the package was downloaded once");
  assert.ok((await readdir(h.codeDir)).includes(spec.codeSha256), "its tree is in the cache");
  assert.equal(h.backend.liveInstances.length, 0, "no instance was started");
  const out = await h.invoke(spec, { x: 1 });
  assert.equal(out.kind, "success", JSON.stringify(out));
  assert.equal(out.coldStart, true);
  assert.equal(h.storeGets(), 1, "the cold start did not go to the code store");
  await assert.rejects(h.runner.prefetch({ ...spec, codeSha256: "c".repeat(64) }), /not in the code store/);
});
