/**
 * Contract suite of the ExecutionBackend port. Every adapter (process, docker) runs it:
 * `runBackendContract("process", async () => new ProcessBackend())`. It only hands the backend
 * code directories (tests/fixtures/functions/*) and specs, never paths inside an instance.
 * Runtimes the backend reports unavailable are skipped with the reason, except under CI=true,
 * where nodejs20, python3.11, python3.12, java17, ruby3.1 and provided must all be available.
 */
import { after, afterEach, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import type { RuntimeAvailability } from "../../../protocol/runner.ts";
import { defaultProtocol, RUNTIME_IDS, type RuntimeId, type RuntimeProtocol } from "../../../protocol/runtimes.ts";
import { functionSpec } from "../../../tests/support/function-spec.ts";
import { javaFunctionDir } from "../../../tests/support/java-function.ts";
import { InitError, type ExecutionBackend, type Instance, type InstanceResult } from "./backend.ts";

const FIXTURES = fileURLToPath(new URL("../../../tests/fixtures/functions/", import.meta.url));
const IS_CI = process.env.CI === "true" || process.env.CI === "1";
const REQUIRED_IN_CI: RuntimeId[] = ["nodejs20", "python3.11", "python3.12", "java17", "ruby3.1", "provided"];
const PROTOCOLS: RuntimeProtocol[] = ["fast", "runtime-api"];
const PYTHONS: RuntimeId[] = ["python3.11", "python3.12"];
/** A runner variable that must never reach function code. */
const HOST_SECRET = "HOTSWAP_CONTRACT_HOST_SECRET";

export function fixtureDir(name: string): string {
  return FIXTURES + name;
}

/**
 * A spec for one of the fixture functions in tests/fixtures/functions, with the handler its files
 * export for `runtime` (index.js, handler.py, function.rb, function.sh) and the runtime's own protocol.
 */
export function fixtureSpec(fixture: string, runtime: RuntimeId, over: Partial<FunctionSpec> = {}): FunctionSpec {
  return functionSpec({
    functionName: fixture,
    runtime,
    handler: runtime.startsWith("python") ? "handler.handler" : runtime === "provided" || runtime.startsWith("ruby") ? "function.handler" : "index.handler",
    environment: { FOO: "bar" },
    codeSha256: "0".repeat(64),
    protocol: defaultProtocol(runtime),
    ...over,
  });
}

/** Read through a function so TypeScript does not keep a narrowing from before specialise(). */
const specOf = (i: Instance): FunctionSpec | undefined => i.spec;

export function runBackendContract(label: string, makeBackend: () => Promise<ExecutionBackend>): void {
  describe(`ExecutionBackend contract: ${label}`, () => {
    let backend: ExecutionBackend;
    let availability = new Map<RuntimeId, RuntimeAvailability>();
    const started: Instance[] = [];

    before(async () => {
      process.env[HOST_SECRET] = "must-not-leak";
      backend = await makeBackend();
      availability = new Map((await backend.runtimes()).map((r) => [r.id, r]));
      if (IS_CI) {
        for (const id of REQUIRED_IN_CI) {
          assert.ok(availability.get(id)?.available, `CI=true requires runtime ${id} on the ${label} backend: ${availability.get(id)?.reason}`);
        }
      }
    });
    afterEach(async () => {
      const alive = started.splice(0);
      for (const i of alive) if (i.alive) i.kill("killed");
      await Promise.all(alive.map((i) => i.exited));
    });
    after(async () => {
      delete process.env[HOST_SECRET];
      await backend?.close();
    });

    /** False (and the test skipped) when the backend cannot run `runtime` here. */
    function can(t: TestContext, runtime: RuntimeId): boolean {
      const a = availability.get(runtime);
      if (a?.available) return true;
      t.skip(`${runtime} is unavailable on the ${label} backend: ${a?.reason}`);
      return false;
    }

    async function start(fixture: string, runtime: RuntimeId, over: Partial<FunctionSpec> = {}): Promise<Instance> {
      const spec = fixtureSpec(fixture, runtime, over);
      const inst = await backend.start({ runtime, protocol: spec.protocol, memorySize: spec.memorySize, spec, codeDir: fixtureDir(fixture) });
      started.push(inst);
      return inst;
    }

    function invoke(inst: Instance, event: unknown, timeoutS = 3): Promise<InstanceResult> {
      return inst.invoke({ requestId: randomUUID(), payload: Buffer.from(JSON.stringify(event)), deadlineMs: Date.now() + timeoutS * 1000 });
    }

    function ok(r: InstanceResult): any {
      assert.equal(r.kind, "success", JSON.stringify(r.kind === "platform-error" ? r : { ...r, payload: r.payload.toString().slice(0, 500) }));
      return JSON.parse((r as { payload: Buffer }).payload.toString());
    }

    /** The error document's fields, whatever the runtime called its stack (`trace` for Node, `stackTrace`). */
    function functionError(r: InstanceResult): { errorType: string; errorMessage: string; stackTrace: string[]; keys: string[]; requestId?: string } {
      assert.equal(r.kind, "function-error", JSON.stringify(r));
      const e = JSON.parse((r as { payload: Buffer }).payload.toString());
      assert.equal(typeof e.errorType, "string");
      assert.equal(typeof e.errorMessage, "string");
      const stackTrace = e.trace ?? e.stackTrace;
      assert.ok(Array.isArray(stackTrace), "trace/stackTrace is an array");
      return { ...e, stackTrace, keys: Object.keys(e) };
    }

    function platformError(r: InstanceResult, code: string): string {
      assert.equal(r.kind, "platform-error", JSON.stringify(r.kind === "platform-error" ? r : r.kind));
      assert.equal((r as { code: string }).code, code, (r as { message: string }).message);
      return (r as { message: string }).message;
    }

    async function initError(promise: Promise<unknown>): Promise<InitError> {
      try {
        const inst = (await promise) as Instance;
        started.push(inst);
      } catch (e) {
        assert.ok(e instanceof InitError, `expected InitError, got ${String(e)}`);
        return e;
      }
      assert.fail("start() resolved, but the handler cannot load");
    }

    test("runtimes() lists every runtime id with what runs it, or why not and what to install", () => {
      assert.deepEqual([...availability.keys()].sort(), [...RUNTIME_IDS].sort());
      for (const r of availability.values()) {
        if (r.available) assert.ok(r.using, `${r.id} says what runs it`);
        else assert.ok(r.reason && r.reason.length > 10, `${r.id} says why it is unavailable`);
      }
    });

    for (const protocol of PROTOCOLS) {
      describe(`nodejs20 over ${protocol}`, () => {
        test("runs a CommonJS handler with the event, a Lambda context and the function's environment", async (t) => {
          if (!can(t, "nodejs20")) return;
          const inst = await start("node-cjs", "nodejs20", { protocol });
          assert.equal(inst.spec?.functionName, "node-cjs");
          const r = await inst.invoke({ requestId: "req-42", payload: Buffer.from('{"hello":"world"}'), deadlineMs: Date.now() + 3000 });
          const body = ok(r);
          assert.deepEqual(body.echo, { hello: "world" });
          assert.equal(body.requestId, "req-42");
          assert.ok(body.remaining > 0 && body.remaining <= 3000, `remaining ${body.remaining}`);
          assert.equal(body.foo, "bar");
          assert.equal(body.context.functionName, "node-cjs");
          assert.equal(body.context.functionVersion, "1");
          assert.equal(body.context.memoryLimitInMB, "128");
          assert.match(body.context.invokedFunctionArn, /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:node-cjs/);
          assert.equal(body.context.logGroupName, "/aws/lambda/node-cjs");
          assert.deepEqual(ok(await invoke(inst, { n: 2 })).echo, { n: 2 }, "a second invocation on the same instance");
        });

        test("runs ESM handlers from .mjs files and from .js files under \"type\": \"module\"", async (t) => {
          if (!can(t, "nodejs20")) return;
          const mjs = await start("node-esm", "nodejs20", { protocol });
          assert.equal(ok(await invoke(mjs, { a: 1 })).esm, true);
          const typeModule = await start("node-esm-type-module", "nodejs20", { protocol });
          assert.equal(ok(await invoke(typeModule, { a: 1 })).greeting, "hello from an ES module");
        });

        test("runs callback, legacy context.succeed and nested-path handlers", async (t) => {
          if (!can(t, "nodejs20")) return;
          const cb = await start("node-callback", "nodejs20", { protocol });
          assert.equal(ok(await invoke(cb, { x: 1 })).style, "callback");
          assert.equal(functionError(await invoke(cb, { fail: true })).errorMessage, "callback failure");
          const legacy = await start("node-callback", "nodejs20", { protocol, handler: "index.legacy" });
          assert.equal(ok(await invoke(legacy, {})).style, "legacy");
          const nested = await start("node-cjs", "nodejs20", { protocol, handler: "src/app.handler" });
          assert.equal(ok(await invoke(nested, {})).nested, true);
        });

        test("returns a thrown error as Node's error document (errorType, errorMessage, trace)", async (t) => {
          if (!can(t, "nodejs20")) return;
          const inst = await start("node-throws", "nodejs20", { protocol });
          const e = functionError(await invoke(inst, { id: 7 }));
          assert.deepEqual(e.keys, ["errorType", "errorMessage", "trace"], "the document AWS's Node.js runtime posts");
          assert.equal(e.errorType, "ValidationError");
          assert.equal(e.errorMessage, 'bad input: {"id":7}');
          assert.ok(e.stackTrace.some((l) => l.includes("index.js")), "the stack names the function's file");
          assert.ok(inst.alive, "a function error leaves the instance usable");
          const str = await start("node-throws", "nodejs20", { protocol, handler: "index.throwString" });
          const plain = functionError(await invoke(str, {}));
          assert.deepEqual([plain.errorType, plain.errorMessage, plain.stackTrace], ["string", "a plain string", []]);
        });

        test("answers the invocation when the code throws outside the handler, then the instance exits", async (t) => {
          if (!can(t, "nodejs20")) return;
          const thrown = await start("node-uncaught", "nodejs20", { protocol });
          const e = functionError(await invoke(thrown, {}));
          assert.equal(e.errorMessage, "thrown from a timer");
          assert.equal((await thrown.exited).reason, "crash");
          const rejected = await start("node-uncaught", "nodejs20", { protocol, handler: "index.rejection" });
          const r = functionError(await invoke(rejected, {}));
          assert.equal(r.errorType, "Runtime.UnhandledPromiseRejection");
          assert.match(r.errorMessage, /nobody caught me/);
          assert.equal((await rejected.exited).reason, "crash");
        });

        test("start() rejects with InitError for a syntax error and for a missing export", async (t) => {
          if (!can(t, "nodejs20")) return;
          const syntax = await initError(start("node-syntax-error", "nodejs20", { protocol }));
          assert.equal(syntax.errorType, "Runtime.UserCodeSyntaxError");
          assert.match(syntax.message, /SyntaxError/);
          const missing = await initError(start("node-missing-export", "nodejs20", { protocol }));
          assert.equal(missing.errorType, "Runtime.HandlerNotFound");
          assert.equal(missing.message, "index.handler is undefined or not exported");
        });

        test("runs instanceConcurrency invocations at once in one instance", async (t) => {
          if (!can(t, "nodejs20")) return;
          const inst = await start("node-concurrent", "nodejs20", { protocol, instanceConcurrency: 4 });
          const t0 = Date.now();
          const results = (await Promise.all([1, 2, 3, 4].map(() => invoke(inst, { ms: 300 })))).map(ok);
          assert.equal(new Set(results.map((r) => r.pid)).size, 1);
          assert.equal(Math.max(...results.map((r) => r.maxConcurrent)), 4);
          assert.ok(Date.now() - t0 < 1100, `4 × 300 ms overlapped (took ${Date.now() - t0} ms)`);
        });

        test("round-trips a 5 MB payload, and answers ResponseSizeTooLarge past 6 MB", async (t) => {
          if (!can(t, "nodejs20")) return;
          const inst = await start("node-cjs", "nodejs20", { protocol });
          const data = "a".repeat(5 * 1024 * 1024);
          assert.equal(ok(await invoke(inst, { data })).echo.data, data);
          const big = await start("node-big-response", "nodejs20", { protocol });
          assert.equal(functionError(await invoke(big, { bytes: 7 * 1024 * 1024 })).errorType, "Function.ResponseSizeTooLarge");
        });

        test("kill(\"timeout\") answers the in-flight invocation with TimeoutError", async (t) => {
          if (!can(t, "nodejs20")) return;
          const inst = await start("node-sleep", "nodejs20", { protocol, timeout: 1 });
          const pending = invoke(inst, { ms: 10_000 });
          inst.kill("timeout");
          assert.equal(inst.alive, false);
          assert.equal(platformError(await pending, "TimeoutError"), "Task timed out after 1.00 seconds");
          assert.equal((await inst.exited).reason, "timeout");
          platformError(await invoke(inst, {}), "TimeoutError");
        });

        test("the function sees its environment and the Lambda variables, never the runner's", async (t) => {
          if (!can(t, "nodejs20")) return;
          const env = ok(await invoke(await start("node-env", "nodejs20", { protocol, environment: { FOO: "bar", OTHER: "x y" } }), {}));
          assert.equal(env.FOO, "bar");
          assert.equal(env.OTHER, "x y");
          assert.equal(env.AWS_LAMBDA_FUNCTION_NAME, "node-env");
          assert.equal(env.AWS_LAMBDA_FUNCTION_VERSION, "1");
          assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "128");
          assert.equal(env._HANDLER, "index.handler");
          assert.ok(env.LAMBDA_TASK_ROOT, "LAMBDA_TASK_ROOT is set");
          assert.ok(env.AWS_REGION, "AWS_REGION is set");
          assert.equal(env[HOST_SECRET], undefined, "a runner variable leaked into the function");
          assert.equal(env.HOTSWAP_CHANNEL_FD, undefined);
          if (protocol === "runtime-api") assert.match(env.AWS_LAMBDA_RUNTIME_API, /^[^:]+:\d+$/);
        });
      });
    }

    for (const runtime of PYTHONS) {
      for (const protocol of PROTOCOLS) {
        describe(`${runtime} over ${protocol}`, () => {
          test("runs handler(event, context) with a Lambda context and the function's environment", async (t) => {
            if (!can(t, runtime)) return;
            const inst = await start("python-echo", runtime, { protocol });
            const body = ok(await inst.invoke({ requestId: "py-1", payload: Buffer.from('{"k":[1,2]}'), deadlineMs: Date.now() + 3000 }));
            assert.deepEqual(body.echo, { k: [1, 2] });
            assert.equal(body.requestId, "py-1");
            assert.ok(body.remaining > 0 && body.remaining <= 3000);
            assert.equal(body.foo, "bar");
            assert.equal(body.context.functionName, "python-echo");
            assert.equal(body.context.memoryLimitInMB, "128");
            const nested = await start("python-echo", runtime, { protocol, handler: "pkg.sub.handler" });
            assert.equal(ok(await invoke(nested, {})).nested, true);
          });

          test("returns a raised exception as a function error with the class name and a stack", async (t) => {
            if (!can(t, runtime)) return;
            const inst = await start("python-throws", runtime, { protocol });
            const e = functionError(await inst.invoke({ requestId: "req-python-throws", payload: Buffer.from('{"a":1}'), deadlineMs: Date.now() + 3000 }));
            assert.equal(e.errorType, "ValidationError");
            assert.equal(e.errorMessage, "bad input: {'a': 1}");
            assert.deepEqual(e.keys, ["errorMessage", "errorType", "requestId", "stackTrace"], "the document AWS's Python runtime posts");
            assert.equal(e.requestId, "req-python-throws", "Python's document names the request");
            assert.ok(e.stackTrace.some((l) => l.includes("handler.py")));
          });

          test("start() rejects with InitError for a syntax error and a missing handler", async (t) => {
            if (!can(t, runtime)) return;
            const syntax = await initError(start("python-syntax-error", runtime, { protocol }));
            assert.equal(syntax.errorType, "Runtime.UserCodeSyntaxError");
            assert.match(syntax.message, /Syntax error in module 'handler'/);
            const missing = await initError(start("python-echo", runtime, { protocol, handler: "handler.nope" }));
            assert.equal(missing.errorType, "Runtime.HandlerNotFound");
            assert.equal(missing.message, "Handler 'nope' missing on module 'handler'");
          });

          test("runs instanceConcurrency invocations at once in threads", async (t) => {
            if (!can(t, runtime)) return;
            const inst = await start("python-sleep", runtime, { protocol, instanceConcurrency: 3 });
            const results = (await Promise.all([1, 2, 3].map(() => invoke(inst, { ms: 300 })))).map(ok);
            assert.equal(Math.max(...results.map((r) => r.maxConcurrent)), 3);
          });
        });
      }
    }

    for (const protocol of PROTOCOLS) {
      describe(`ruby3.1 over ${protocol}`, () => {
        const ruby: RuntimeId = "ruby3.1";

        test("runs def handler(event:, context:) with Lambda's Ruby context, and Module::Class.method handlers", async (t) => {
          if (!can(t, ruby)) return;
          const inst = await start("ruby-echo", ruby, { protocol });
          const deadlineMs = Date.now() + 3000;
          const body = ok(await inst.invoke({ requestId: "rb-1", payload: Buffer.from('{"k":[1,"é"]}'), deadlineMs }));
          assert.deepEqual(body.echo, { k: [1, "é"] });
          assert.equal(body.requestId, "rb-1");
          assert.ok(body.remaining > 0 && body.remaining <= 3000, `remaining ${body.remaining}`);
          assert.equal(body.foo, "bar");
          assert.equal(body.context.functionName, "ruby-echo");
          assert.equal(body.context.functionVersion, "1");
          assert.equal(body.context.memoryLimitInMB, "128", "a String, as on AWS");
          assert.match(body.context.invokedFunctionArn, /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:ruby-echo/);
          assert.equal(body.context.logGroupName, "/aws/lambda/ruby-echo");
          assert.match(body.context.logStreamName, /^\d{4}\/\d{2}\/\d{2}\/\[1\][0-9a-f]{32}$/);
          assert.equal(body.context.deadlineMs, deadlineMs);
          assert.equal(body.context.identity, null);
          assert.equal(body.context.clientContext, null);
          assert.equal(body.executionEnv, "AWS_Lambda_ruby3.1");
          assert.deepEqual(ok(await invoke(inst, { n: 2 })).echo, { n: 2 }, "a second invocation on the same instance");
          const nested = await start("ruby-echo", ruby, { protocol, handler: "lib/app/handlers.App::Handlers.process" });
          const n = ok(await nested.invoke({ requestId: "rb-2", payload: Buffer.from("[1]"), deadlineMs }));
          assert.deepEqual(n, { nested: true, klass: "App::Handlers", requestId: "rb-2", echo: [1] });
        });

        test("returns a raised exception as Lambda's Ruby error document (Function<Class>, the function's stack)", async (t) => {
          if (!can(t, ruby)) return;
          const inst = await start("ruby-throws", ruby, { protocol });
          const e = functionError(await invoke(inst, { a: 1 }));
          assert.deepEqual(e.keys, ["errorMessage", "errorType", "stackTrace"], "the document AWS's Ruby runtime posts");
          assert.equal(e.errorType, "Function<ValidationError>");
          assert.equal(e.errorMessage, 'bad input: {"a"=>1}');
          assert.match(e.stackTrace[0] ?? "", /function\.rb:5:in `check'$/);
          assert.match(e.stackTrace[1] ?? "", /function\.rb:9:in `handler'$/);
          assert.equal(e.stackTrace.length, 2, `only the function's frames, none of the bootstrap's:\n${e.stackTrace.join("\n")}`);
          assert.ok(inst.alive, "a function error leaves the instance usable");
          assert.equal(functionError(await invoke(inst, { a: 2 })).errorMessage, 'bad input: {"a"=>2}');
        });

        test("start() rejects with InitError of Lambda's Init<...> types", async (t) => {
          if (!can(t, ruby)) return;
          const syntax = await initError(start("ruby-syntax-error", ruby, { protocol }));
          assert.equal(syntax.errorType, "Init<SyntaxError>");
          assert.match(syntax.message, /function\.rb/);
          const raised = await initError(start("ruby-init-raises", ruby, { protocol }));
          assert.equal(raised.errorType, "Init<ArgumentError>");
          assert.equal(raised.message, "missing configuration: TABLE_NAME");
          const noFile = await initError(start("ruby-echo", ruby, { protocol, handler: "nothere.handler" }));
          assert.equal(noFile.errorType, "Init<LoadError>");
          assert.match(noFile.message, /cannot load such file -- .*nothere/);
          const noMethod = await initError(start("ruby-echo", ruby, { protocol, handler: "function.nope" }));
          assert.equal(noMethod.errorType, "Init<NoMethodError>");
          assert.match(noMethod.message, /undefined method `nope'/);
          const noClass = await initError(start("ruby-echo", ruby, { protocol, handler: "function.Missing::Klass.process" }));
          assert.equal(noClass.errorType, "Init<NameError>");
          assert.match(noClass.message, /uninitialized constant Missing/);
          const malformed = await initError(start("ruby-echo", ruby, { protocol, handler: "function" }));
          assert.equal(malformed.errorType, "Init<ArgumentError>");
          assert.match(malformed.message, /FILENAME\.METHOD/);
        });

        test("runs instanceConcurrency invocations at once in threads", async (t) => {
          if (!can(t, ruby)) return;
          const inst = await start("ruby-sleep", ruby, { protocol, instanceConcurrency: 3 });
          const results = (await Promise.all([1, 2, 3].map(() => invoke(inst, { ms: 300 })))).map(ok);
          assert.equal(Math.max(...results.map((r) => r.maxConcurrent)), 3);
        });

        test("kill(\"timeout\") answers the in-flight invocation with TimeoutError", async (t) => {
          if (!can(t, ruby)) return;
          const inst = await start("ruby-sleep", ruby, { protocol, timeout: 1 });
          const pending = invoke(inst, { ms: 10_000 });
          inst.kill("timeout");
          assert.equal(platformError(await pending, "TimeoutError"), "Task timed out after 1.00 seconds");
          assert.equal((await inst.exited).reason, "timeout");
        });
      });
      describe(`java17 over ${protocol}`, () => {
        let code = "";
        async function startJava(handler: string, over: Partial<FunctionSpec> = {}): Promise<Instance> {
          code ||= await javaFunctionDir();
          const spec = fixtureSpec("java-handlers", "java17", { handler, protocol, ...over });
          const inst = await backend.start({ runtime: "java17", protocol, memorySize: spec.memorySize, spec, codeDir: code });
          started.push(inst);
          return inst;
        }

        test("runs a RequestHandler<Order, Receipt> from lib/*.jar: POJO and records in, POJO out", async (t) => {
          if (!can(t, "java17")) return;
          const inst = await startJava("example.PojoHandler::handleRequest");
          const event = { ID: "o-1", quantity: 2, items: [{ sku: "a", price: 1.5 }, { sku: "b", price: 2 }], tags: { k: "v" }, express: true, extra: [1] };
          const r = ok(await inst.invoke({ requestId: "java-1", payload: Buffer.from(JSON.stringify(event)), deadlineMs: Date.now() + 3000 }));
          assert.deepEqual(r, { orderId: "o-1/java-1/bar", total: 7, missing: null, skus: ["a", "b"], express: true });
        });

        test("runs a RequestStreamHandler and plain Class::method handlers (Map and context in, boxed number in and out)", async (t) => {
          if (!can(t, "java17")) return;
          const upper = await startJava("example.Upper");
          const u = await upper.invoke({ requestId: "java-2", payload: Buffer.from('{"say":"hello"}'), deadlineMs: Date.now() + 3000 });
          assert.equal(u.kind, "success");
          assert.equal((u as { payload: Buffer }).payload.toString(), '{"SAY":"HELLO"}');
          const facts = await startJava("example.Facts::describe", { memorySize: 256 });
          const f = ok(await facts.invoke({ requestId: "java-3", payload: Buffer.from('{"k":[1,2.5,"x",null]}'), deadlineMs: Date.now() + 3000 }));
          assert.deepEqual(f.echo, { k: [1, 2.5, "x", null] });
          assert.equal(f.requestId, "java-3");
          assert.equal(f.functionName, "java-handlers");
          assert.equal(f.memoryLimitInMB, 256);
          assert.ok(f.remaining > 0 && f.remaining <= 3000, String(f.remaining));
          assert.equal(f.foo, "bar");
          assert.equal(f.handlerVar, "example.Facts::describe");
          assert.equal(f.executionEnv, "AWS_Lambda_java17");
          assert.equal(f.channelVisible, false, "the channel's variables are gone before function code runs");
          assert.equal(f.hostSecret, null, "the runner's environment never reaches the function");
          assert.ok(f.maxHeapMb > 150 && f.maxHeapMb <= 218, `heap ${f.maxHeapMb} MB is about 85 % of 256 MB`);
          const twice = await startJava("example.Facts::twice");
          assert.equal(ok(await invoke(twice, 21)), 42);
        });

        test("returns a thrown exception with its class as errorType, its frames and its cause", async (t) => {
          if (!can(t, "java17")) return;
          const inst = await startJava("example.Thrower::handleRequest");
          const e = functionError(await invoke(inst, { a: 7 }));
          assert.equal(e.errorType, "java.lang.IllegalStateException");
          assert.equal(e.errorMessage, "bad input: 7");
          assert.equal(e.stackTrace[0], "example.Thrower.validate(Thrower.java:15)");
          assert.ok(!e.stackTrace.some((l) => l.includes("dev.hotswap")), "no bootstrap frames");
          assert.equal((e as unknown as { cause: { errorType: string } }).cause.errorType, "java.lang.NumberFormatException");
          const bad = functionError(await (await startJava("example.PojoHandler")).invoke({ requestId: "j", payload: Buffer.from('{"quantity":"many"}'), deadlineMs: Date.now() + 3000 }));
          assert.equal(bad.errorType, "java.lang.RuntimeException");
          assert.equal(bad.errorMessage, "An error occurred during JSON parsing");
        });

        test("start() rejects with InitError for a missing class, a missing method and a throwing constructor", async (t) => {
          if (!can(t, "java17")) return;
          const missing = await initError(startJava("example.Nope::handleRequest"));
          assert.equal(missing.errorType, "java.lang.ClassNotFoundException");
          assert.equal(missing.message, "Class not found: example.Nope");
          const method = await initError(startJava("example.Facts::nope"));
          assert.equal(method.message, "No public method named nope with appropriate method signature found on class example.Facts");
          const ctor = await initError(startJava("example.InitThrows::handleRequest"));
          assert.equal(ctor.errorType, "java.lang.IllegalArgumentException");
          assert.equal(ctor.message, "Error loading class example.InitThrows: missing configuration TABLE_NAME");
        });

        test("kill(\"timeout\") answers the in-flight invocation with TimeoutError; concurrent invocations overlap", async (t) => {
          if (!can(t, "java17")) return;
          const inst = await startJava("example.Sleeper", { instanceConcurrency: 3 });
          const t0 = Date.now();
          const results = (await Promise.all([1, 2, 3].map(() => invoke(inst, { ms: 400 })))).map(ok);
          assert.ok(results.every((r) => r.slept >= 400));
          assert.ok(Date.now() - t0 < 1100, `three 400 ms invocations overlapped (took ${Date.now() - t0} ms)`);
          const pending = invoke(inst, { ms: 10_000 });
          inst.kill("timeout");
          assert.equal(platformError(await pending, "TimeoutError"), "Task timed out after 3.00 seconds");
          assert.equal((await inst.exited).reason, "timeout");
        });
      });
    }

    describe("java17 stems and memory", () => {
      test("a stem starts without code and serves a function once specialised", async (t) => {
        if (!can(t, "java17")) return;
        const code = await javaFunctionDir();
        const stem = await backend.start({ runtime: "java17", protocol: "fast", memorySize: 128 });
        started.push(stem);
        assert.equal(stem.spec, undefined);
        const spec = fixtureSpec("java-handlers", "java17", { handler: "example.Facts::describe" });
        await stem.specialise(spec, code);
        const body = ok(await invoke(stem, { stem: true }));
        assert.deepEqual(body.echo, { stem: true });
        assert.equal(body.foo, "bar", "the environment sent at init is the function's");
        assert.equal(body.channelVisible, false);
      });

      test("heap exhaustion answers java.lang.OutOfMemoryError and the instance goes", async (t) => {
        if (!can(t, "java17")) return;
        const code = await javaFunctionDir();
        const spec = fixtureSpec("java-handlers", "java17", { handler: "example.Hog" });
        const inst = await backend.start({ runtime: "java17", protocol: "fast", memorySize: 128, spec, codeDir: code });
        started.push(inst);
        const r = await invoke(inst, {}, 10);
        if (r.kind === "function-error") assert.equal(functionError(r).errorType, "java.lang.OutOfMemoryError");
        else platformError(r, "OutOfMemory"); // the RSS watch may stop it first
        await inst.exited;
        assert.equal(inst.alive, false);
      });
    });

    describe("provided", () => {
      test("runs a bash custom runtime that uses curl against the Runtime API", async (t) => {
        if (!can(t, "provided")) return;
        const inst = await start("provided-bash", "provided");
        assert.deepEqual(ok(await invoke(inst, { hi: 1 })), { echo: { hi: 1 }, runtime: "bash" });
        assert.deepEqual(ok(await invoke(inst, { hi: 2 })), { echo: { hi: 2 }, runtime: "bash" });
        await inst.stop();
        assert.equal((await inst.exited).reason, "stopped");
      });

      test("start() rejects with InitError when the code has no bootstrap", async (t) => {
        if (!can(t, "provided")) return;
        const e = await initError(start("node-cjs", "provided"));
        assert.match(e.message, /bootstrap/);
      });
    });

    describe("failures and lifecycle", () => {
      test("node heap exhaustion ends as OutOfMemory naming the limit, exit reason oom", async (t) => {
        if (!can(t, "nodejs20")) return;
        const inst = await start("node-oom", "nodejs20", { timeout: 30 });
        const message = platformError(await invoke(inst, {}, 30), "OutOfMemory");
        assert.match(message, /128 MB/);
        assert.match(message, /memorySize/);
        assert.equal((await inst.exited).reason, "oom");
      });

      test("memory growth outside the JS heap is stopped at the limit as OutOfMemory", async (t) => {
        if (!can(t, "nodejs20")) return;
        const inst = await start("node-oom", "nodejs20", { timeout: 30 });
        platformError(await invoke(inst, { mode: "buffer" }, 30), "OutOfMemory");
        assert.equal((await inst.exited).reason, "oom");
      });

      test("a python function over its memory limit ends as OutOfMemory", async (t) => {
        const runtime = PYTHONS.find((r) => availability.get(r)?.available);
        if (!runtime) return void (IS_CI ? assert.fail("no python runtime") : t.skip("no python runtime available"));
        const inst = await start("python-oom", runtime, { timeout: 30 });
        assert.match(platformError(await invoke(inst, {}, 30), "OutOfMemory"), /128 MB/);
        assert.equal((await inst.exited).reason, "oom");
      });

      test("a handler that exits the process yields InstanceCrashed with the exit code and stderr", async (t) => {
        if (!can(t, "nodejs20")) return;
        const inst = await start("node-crash", "nodejs20");
        assert.deepEqual(ok(await invoke(inst, {})), { ok: true });
        const message = platformError(await invoke(inst, { crash: true }), "InstanceCrashed");
        assert.match(message, /code 3/);
        assert.match(message, /exiting with code 3 on purpose/);
        const exit = await inst.exited;
        assert.equal(exit.reason, "crash");
        assert.equal(exit.code, 3);
        assert.match(exit.stderrTail ?? "", /on purpose/);
        assert.equal(inst.alive, false);
        platformError(await invoke(inst, {}), "InstanceCrashed");
      });

      test("python: kill(\"timeout\") answers the in-flight invocation with TimeoutError", async (t) => {
        const runtime = PYTHONS.find((r) => availability.get(r)?.available);
        if (!runtime) return void (IS_CI ? assert.fail("no python runtime") : t.skip("no python runtime available"));
        const inst = await start("python-sleep", runtime, { timeout: 2 });
        const pending = invoke(inst, { ms: 10_000 });
        inst.kill("timeout");
        assert.equal(platformError(await pending, "TimeoutError"), "Task timed out after 2.00 seconds");
        assert.equal((await inst.exited).reason, "timeout");
      });

      for (const runtime of ["nodejs20", ...PYTHONS, "ruby3.1"] as RuntimeId[]) {
        test(`${runtime}: a stem starts without code and serves a function once specialised`, async (t) => {
          if (!can(t, runtime)) return;
          const stem = await backend.start({ runtime, protocol: "fast", memorySize: 128 });
          started.push(stem);
          assert.equal(stem.spec, undefined);
          assert.ok(stem.alive);
          const fixture = runtime === "nodejs20" ? "node-cjs" : runtime === "ruby3.1" ? "ruby-echo" : "python-echo";
          const spec = fixtureSpec(fixture, runtime);
          await stem.specialise(spec, fixtureDir(fixture));
          assert.equal(specOf(stem)?.functionName, fixture);
          const body = ok(await invoke(stem, { stem: true }));
          assert.deepEqual(body.echo, { stem: true });
          assert.equal(body.foo, "bar");
        });
      }

      test("specialise() rejects with InitError when the handler does not load", async (t) => {
        if (!can(t, "nodejs20")) return;
        const stem = await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128 });
        started.push(stem);
        await assert.rejects(stem.specialise(fixtureSpec("node-missing-export", "nodejs20"), fixtureDir("node-missing-export")), (e: unknown) => {
          assert.ok(e instanceof InitError);
          assert.equal(e.message, "index.handler is undefined or not exported");
          return true;
        });
        assert.equal((await stem.exited).reason, "init-error");
      });

      test("stop() ends the instance cleanly: exited resolves once with reason stopped", async (t) => {
        if (!can(t, "nodejs20")) return;
        const inst = await start("node-cjs", "nodejs20");
        ok(await invoke(inst, {}));
        const t0 = Date.now();
        await inst.stop();
        assert.ok(Date.now() - t0 < 1500, "the bootstrap exits promptly on SIGTERM");
        assert.equal(inst.alive, false);
        const exit = await inst.exited;
        assert.equal(exit.reason, "stopped");
        assert.equal(exit, await inst.exited);
        platformError(await invoke(inst, {}), "InstanceCrashed");
      });
    });
  });
}
