/**
 * End-to-end: invocation on every runtime through the HTTP API, cold/warm headers, handler
 * errors, timeouts, OOM, crashes, init errors, bad events, capacity, and 50 concurrent calls.
 */
import assert from "node:assert/strict";
import { forEachMode, it, type TestPlatform } from "../support/platform.ts";
import { deployFunction, type DeploySpec } from "../support/deploy.ts";
import { zipFixture } from "../support/zip.ts";
import { IS_CI } from "../support/services.ts";

/** Create `name` with `settings` and publish the fixture as its first version; the version number. */
async function deploy(p: TestPlatform, name: string, fixture: string, settings: Omit<DeploySpec, "name" | "code">) {
  return (await deployFunction(p, { name, code: { fixture }, ...settings })).version;
}

const invoke = (p: TestPlatform, name: string, event: unknown, qualifier?: string) =>
  p.api("POST", `/api/v1/functions/${name}/invoke${qualifier ? `?qualifier=${encodeURIComponent(qualifier)}` : ""}`, JSON.stringify(event), {
    "content-type": "application/json",
  });

async function available(p: TestPlatform, runtime: string): Promise<boolean> {
  const rts = (await p.api("GET", "/api/v1/runtimes")).json.runtimes as Array<{ id: string; available: boolean }>;
  const ok = rts.find((r) => r.id === runtime)?.available ?? false;
  if (!ok && IS_CI && runtime !== "nodejs22") throw new Error(`CI=true but runtime ${runtime} is unavailable on this host`);
  return ok;
}

forEachMode(
  "invoke API",
  (p) => {
    it("runs a CommonJS handler: cold then warm, with the platform headers and Lambda context", async () => {
      await deploy(p(), "cjs", "node-cjs", { runtime: "nodejs20", handler: "index.handler", environment: { FOO: "bar" } });
      const first = await invoke(p(), "cjs", { n: 1 });
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(first.json.echo, { n: 1 });
      assert.equal(first.json.foo, "bar");
      assert.equal(first.json.context.functionName, "cjs");
      assert.equal(first.json.context.memoryLimitInMB, "256");
      assert.ok(first.json.remaining > 0 && first.json.remaining <= 30_000);
      assert.equal(first.headers.get("x-hotswap-version"), "1");
      assert.equal(first.headers.get("x-hotswap-cold-start"), "true");
      const rid = first.headers.get("x-request-id");
      assert.ok(rid);
      assert.equal(first.json.requestId, rid, "the handler sees the request id as awsRequestId");
      const second = await invoke(p(), "cjs", { n: 2 });
      assert.equal(second.status, 200);
      assert.equal(second.headers.get("x-hotswap-cold-start"), "false");
      assert.equal(second.headers.get("x-hotswap-start"), null, "x-hotswap-start is sent on cold starts only");
    });

    it("runs ESM handlers (.mjs and type:module) and callback handlers", async () => {
      await deploy(p(), "esm", "node-esm", { runtime: "nodejs20", handler: "index.handler" });
      assert.equal((await invoke(p(), "esm", { a: 1 })).json.esm, true);
      await deploy(p(), "esmtm", "node-esm-type-module", { runtime: "nodejs20", handler: "index.handler" });
      const tm = await invoke(p(), "esmtm", { a: 2 });
      assert.equal(tm.status, 200, tm.text);
      assert.deepEqual(tm.json.echo, { a: 2 });
      await deploy(p(), "cb", "node-callback", { runtime: "nodejs20", handler: "index.handler" });
      const cb = await invoke(p(), "cb", { a: 3 });
      assert.equal(cb.json.style, "callback");
      assert.deepEqual(cb.json.echo, { a: 3 });
    });

    it("runs the same handler over the Lambda Runtime API when protocol is runtime-api", async () => {
      await deploy(p(), "cjsapi", "node-cjs", { runtime: "nodejs20", handler: "index.handler", protocol: "runtime-api" });
      const r = await invoke(p(), "cjsapi", { over: "runtime-api" });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.echo, { over: "runtime-api" });
    });

    for (const runtime of ["python3.11", "python3.12"]) {
      it(`runs a ${runtime} handler, nested modules included`, async () => {
        if (!(await available(p(), runtime))) return;
        const name = `py${runtime.replace(".", "")}`;
        await deploy(p(), name, "python-echo", { runtime, handler: "handler.handler", environment: { FOO: "py" } });
        const r = await invoke(p(), name, { hello: "python" });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json.echo, { hello: "python" });
        assert.equal(r.json.foo, "py");
        assert.equal(r.json.requestId, r.headers.get("x-request-id"));
        await p().api("PUT", `/api/v1/functions/${name}`, { handler: "pkg.sub.handler" });
        await p().api("POST", `/api/v1/functions/${name}/versions`, zipFixture("python-echo"), { "content-type": "application/zip" });
        const nested = await invoke(p(), name, { x: 1 }, "2");
        assert.equal(nested.json.nested, true);
      });
    }

    it("runs a provided bash custom runtime that uses curl against the Runtime API", async () => {
      await deploy(p(), "bash", "provided-bash", { runtime: "provided", handler: "function.handler" });
      const r = await invoke(p(), "bash", { from: "bash" });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { echo: { from: "bash" }, runtime: "bash" });
    });

    it("returns 500 with errorType, errorMessage, stackTrace and x-hotswap-function-error when the handler throws", async () => {
      await deploy(p(), "throws", "node-throws", { runtime: "nodejs20", handler: "index.handler" });
      const r = await invoke(p(), "throws", { bad: true });
      assert.equal(r.status, 500);
      assert.equal(r.headers.get("x-hotswap-function-error"), "Unhandled");
      assert.equal(r.json.errorType, "ValidationError");
      assert.match(r.json.errorMessage, /bad input/);
      assert.ok(Array.isArray(r.json.stackTrace));
      assert.equal((await invoke(p(), "throws", {})).status, 500, "the instance keeps serving after a handler error");
    });

    it("returns 504 TimeoutError and kills the instance; the next call gets a fresh one", async () => {
      await deploy(p(), "slow", "node-sleep", { runtime: "nodejs20", handler: "index.handler", timeout: 1 });
      const r = await invoke(p(), "slow", { ms: 5000 });
      assert.equal(r.status, 504);
      assert.equal(r.json.error.code, "TimeoutError");
      assert.equal(r.json.errorType, "TimeoutError");
      const ok = await invoke(p(), "slow", { ms: 10 });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get("x-hotswap-cold-start"), "true");
    });

    it("returns OutOfMemory when a handler exceeds memorySize (node heap and python RSS)", async () => {
      await deploy(p(), "oom", "node-oom", { runtime: "nodejs20", handler: "index.handler", memorySize: 128 });
      const r = await invoke(p(), "oom", {});
      assert.equal(r.status, 502, r.text);
      assert.equal(r.json.error.code, "OutOfMemory");
      assert.match(r.json.error.message, /128/);
      if (await available(p(), "python3.11")) {
        await deploy(p(), "pyoom", "python-oom", { runtime: "python3.11", handler: "handler.handler", memorySize: 128 });
        const py = await invoke(p(), "pyoom", {});
        assert.equal(py.json.error.code, "OutOfMemory", py.text);
      }
      await deploy(p(), "oom-recovers", "node-crash", { runtime: "nodejs20", handler: "index.handler", memorySize: 128 });
      assert.equal((await invoke(p(), "oom-recovers", {})).status, 200, "the platform keeps serving");
    });

    it("returns InstanceCrashed when the instance dies, then replaces it", async () => {
      await deploy(p(), "crash", "node-crash", { runtime: "nodejs20", handler: "index.handler" });
      assert.equal((await invoke(p(), "crash", {})).status, 200);
      const r = await invoke(p(), "crash", { crash: true });
      assert.equal(r.status, 502);
      assert.equal(r.json.error.code, "InstanceCrashed");
      const again = await invoke(p(), "crash", {});
      assert.equal(again.status, 200);
      assert.equal(again.headers.get("x-hotswap-cold-start"), "true");
    });

    it("returns InitError with the loader's message for a syntax error or a missing export", async () => {
      await deploy(p(), "syntax", "node-syntax-error", { runtime: "nodejs20", handler: "index.handler" });
      const s = await invoke(p(), "syntax", {});
      assert.equal(s.status, 502);
      assert.equal(s.json.error.code, "InitError");
      assert.match(s.json.error.message, /Syntax|Unexpected/i);
      await deploy(p(), "noexport", "node-missing-export", { runtime: "nodejs20", handler: "index.handler" });
      const m = await invoke(p(), "noexport", {});
      assert.equal(m.json.error.code, "InitError");
      assert.match(m.json.error.message, /handler/);
    });

    it("rejects a malformed event with 400 and an event over 6 MB with 413", async () => {
      await deploy(p(), "ev", "node-cjs", { runtime: "nodejs20", handler: "index.handler" });
      const bad = await p().api("POST", "/api/v1/functions/ev/invoke", "{not json", { "content-type": "application/json" });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.code, "InvalidRequestContent");
      const big = await p().api("POST", "/api/v1/functions/ev/invoke", JSON.stringify({ s: "x".repeat(6 * 1024 * 1024 + 10) }), {
        "content-type": "application/json",
      });
      assert.equal(big.status, 413);
      assert.equal(big.json.error.code, "PayloadTooLarge");
      const nearLimit = await invoke(p(), "ev", { s: "y".repeat(5 * 1024 * 1024) });
      assert.equal(nearLimit.status, 200, "a 5 MB event round-trips");
      assert.equal(nearLimit.json.echo.s.length, 5 * 1024 * 1024);
      assert.equal((await p().api("POST", "/api/v1/functions/nope/invoke", "{}")).json.error.code, "FunctionNotFound");
    });

    it("answers 429 TooManyRequests when the function is at its instance cap after the bounded wait", async () => {
      await deploy(p(), "capped", "node-sleep", { runtime: "nodejs20", handler: "index.handler", maxInstances: 1 });
      const busy = invoke(p(), "capped", { ms: 3000 });
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      const r = await invoke(p(), "capped", { ms: 1 });
      assert.equal(r.status, 429, r.text);
      assert.equal(r.json.error.code, "TooManyRequests");
      assert.ok(Date.now() - started >= 900, "it waited for capacity before giving up");
      assert.equal((await busy).status, 200);
    });

    it("resolves qualifiers: unqualified → alias live if present, else $LATEST", async () => {
      await deploy(p(), "q", "node-cjs", { runtime: "nodejs20", handler: "index.handler" });
      await p().api("POST", "/api/v1/functions/q/versions", zipFixture("node-cjs"), { "content-type": "application/zip" });
      assert.equal((await invoke(p(), "q", {})).headers.get("x-hotswap-version"), "2");
      assert.equal((await invoke(p(), "q", {}, "$LATEST")).headers.get("x-hotswap-version"), "2");
      assert.equal((await invoke(p(), "q", {}, "1")).headers.get("x-hotswap-version"), "1");
      await p().api("PUT", "/api/v1/functions/q/aliases/live", { version: 1 });
      assert.equal((await invoke(p(), "q", {})).headers.get("x-hotswap-version"), "1");
      assert.equal((await invoke(p(), "q", {}, "nope")).json.error.code, "AliasNotFound");
      assert.equal((await invoke(p(), "q", {}, "7")).json.error.code, "VersionNotFound");
    });

    it("answers 50 concurrent invocations, each with its own result", async () => {
      await deploy(p(), "many", "node-cjs", { runtime: "nodejs20", handler: "index.handler" });
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => invoke(p(), "many", { i })));
      for (const [i, r] of results.entries()) {
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json.echo, { i });
        assert.equal(r.json.requestId, r.headers.get("x-request-id"));
      }
      assert.equal(new Set(results.map((r) => r.json.requestId)).size, 50);
    });

    it("packs invocations onto one instance when instanceConcurrency > 1", async () => {
      await deploy(p(), "packed", "node-concurrent", { runtime: "nodejs20", handler: "index.handler", instanceConcurrency: 16, maxInstances: 1 });
      const results = await Promise.all(Array.from({ length: 16 }, () => invoke(p(), "packed", { ms: 300 })));
      for (const r of results) assert.equal(r.status, 200, r.text);
      assert.equal(new Set(results.map((r) => r.json.pid)).size, 1, "one instance served them all");
      assert.ok(Math.max(...results.map((r) => r.json.maxConcurrent)) > 8, "they ran at once");
    });
  },
  { HOTSWAP_QUEUE_SIZE: "60", HOTSWAP_QUEUE_TIMEOUT_MS: "1000" },
);
