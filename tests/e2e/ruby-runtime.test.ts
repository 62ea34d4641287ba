/**
 * The ruby3.1 runtime end to end through the HTTP API, on the process backend and on the docker
 * backend (hotswap/runtime-ruby3.1): a `def handler(event:, context:)` answers with Lambda's
 * context, a cold start lands on a prewarmed stem, a raised exception is Lambda's Ruby error document, a file that does not load is an
 * InitError of Lambda's Init<...> type, a handler past its timeout gets 504, and the lines of four
 * invocations running at once on one instance are stored each under its own request id.
 */
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { it, startPlatform, type TestPlatform } from "../support/platform.ts";
import { apiOf, deployFunction, expectOk, invokeFunction, publishCode } from "../support/deploy.ts";
import { waitFor } from "../support/wait-for.ts";
import { dockerSkipReason, testRunnerId } from "../docker/support.ts";
import { IS_CI } from "../support/services.ts";
import { discoverRuntime } from "../../runner/src/backends/process/runtime-discovery.ts";

const ruby = await discoverRuntime("ruby3.1");
const rubySkip = ruby.available ? undefined : `ruby3.1 is unavailable: ${ruby.reason}`;
if (rubySkip && IS_CI) throw new Error(`CI=true and ${rubySkip}`);
/** One prewarmed ruby3.1 stem of the default memory size. */
const STEMS = { RUNNER_STEMS: "1", RUNNER_STEM_RUNTIMES: "ruby3.1", RUNNER_STEM_MEMORY_MB: "256" };
const BACKENDS = {
  process: { skip: rubySkip, env: STEMS },
  docker: { skip: await dockerSkipReason(), env: { RUNNER_BACKEND: "docker", RUNNER_DOCKER_NETWORK: "host", RUNNER_ID: testRunnerId("ruby"), ...STEMS } },
};

for (const [backend, { skip, env }] of Object.entries(BACKENDS)) {
  describe(`ruby3.1 functions (${backend} backend)`, { skip }, () => {
    let p: TestPlatform;
    before(async () => {
      p = await startPlatform("embedded", env);
    });
    after(async () => p?.close());

    const deploy = (name: string, fixture: string, settings: Record<string, unknown> = {}) =>
      deployFunction(p, { name, runtime: "ruby3.1", handler: "function.handler", code: { fixture }, ...settings });

    it("runs def handler(event:, context:) with Lambda's context and the function's environment", async () => {
      await deploy("rb-echo", "ruby-echo", { environment: { FOO: "from-api" } });
      const r = await invokeFunction(p, "rb-echo", { hello: "ruby" });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.echo, { hello: "ruby" });
      assert.equal(r.json.requestId, r.headers.get("x-request-id"));
      assert.equal(r.json.foo, "from-api");
      assert.equal(r.json.context.functionName, "rb-echo");
      assert.equal(r.json.context.memoryLimitInMB, "256");
      assert.equal(r.json.executionEnv, "AWS_Lambda_ruby3.1");
      if (backend === "docker") assert.equal(r.json.cwd, "/var/task");
    });

    it("a cold start specialises a prewarmed ruby3.1 stem (x-hotswap-start: stem)", async () => {
      // The stem pool fills in the background after start-up: publish new versions (new cold
      // starts) until one lands on a stem.
      let version = (await deploy("rb-stem", "ruby-echo", { environment: { FOO: "from-stem" } })).version;
      let cold;
      for (const until = Date.now() + 30_000; ; version = await publishCode(p, "rb-stem", { fixture: "ruby-echo" })) {
        cold = await invokeFunction(p, "rb-stem", { n: version }, { qualifier: version });
        assert.equal(cold.status, 200, cold.text);
        assert.equal(cold.headers.get("x-hotswap-cold-start"), "true");
        if (cold.headers.get("x-hotswap-start") === "stem" || Date.now() > until) break;
      }
      assert.equal(cold.headers.get("x-hotswap-start"), "stem");
      assert.equal(cold.json.foo, "from-stem");
      assert.equal(cold.json.context.functionName, "rb-stem");
    });

    it("answers a raised exception with 500 and Lambda's Ruby error document", async () => {
      await deploy("rb-throws", "ruby-throws");
      const r = await invokeFunction(p, "rb-throws", { id: 7 });
      assert.equal(r.status, 500, r.text);
      assert.equal(r.headers.get("x-hotswap-function-error"), "Unhandled");
      assert.equal(r.json.errorType, "Function<ValidationError>");
      assert.equal(r.json.errorMessage, 'bad input: {"id"=>7}');
      assert.ok(r.json.stackTrace.some((l: string) => /function\.rb:\d+:in `handler'/.test(l)), JSON.stringify(r.json.stackTrace));
    });

    it("answers 502 InitError with Lambda's Init<SyntaxError> when the file does not parse", async () => {
      await deploy("rb-syntax", "ruby-syntax-error");
      const r = await invokeFunction(p, "rb-syntax", {});
      assert.equal(r.status, 502, r.text);
      assert.equal(r.json.error.code, "InitError");
      assert.equal(r.json.errorType, "Init<SyntaxError>");
      await deploy("rb-raises", "ruby-init-raises");
      const raised = await invokeFunction(p, "rb-raises", {});
      assert.equal(raised.json.errorType, "Init<ArgumentError>");
      assert.equal(raised.json.errorMessage, "missing configuration: TABLE_NAME");
    });

    it("answers 504 TimeoutError past the timeout; the next call starts a fresh instance", async () => {
      await deploy("rb-slow", "ruby-sleep", { timeout: 1 });
      const r = await invokeFunction(p, "rb-slow", { ms: 5000 });
      assert.equal(r.status, 504, r.text);
      assert.equal(r.json.error.code, "TimeoutError");
      const next = await invokeFunction(p, "rb-slow", { ms: 10 });
      assert.equal(next.status, 200, next.text);
      assert.equal(next.headers.get("x-hotswap-cold-start"), "true");
    });

    it("stores the lines of concurrent invocations on one instance each under its own request id", async () => {
      await deploy("rb-logs", "ruby-log-mix", { instanceConcurrency: 4, maxInstances: 1 });
      const tags = [1, 2, 3, 4].map(() => randomUUID());
      const answers = await Promise.all(tags.map((tag) => invokeFunction(p, "rb-logs", { tag, gapMs: 20 })));
      for (const [i, a] of answers.entries()) {
        assert.equal(a.status, 200, a.text);
        const id = a.headers.get("x-request-id")!;
        assert.equal(a.json.tag, tags[i]);
        const tag = tags[i];
        const lines = await waitFor(`the 5 lines of ${id}`, async () => {
          const page = expectOk(await apiOf(p).logs.functionLogs("rb-logs", { requestId: id, limit: 100 }), "reading logs");
          return page.lines.filter((l) => l.stream === "stdout" || l.stream === "stderr");
        }, { until: (ls) => ls.length >= 5, timeoutMs: 10_000 });
        // In order on each stream; stdout and stderr are separate pipes, read as they come.
        const on = (stream: string) => lines.filter((l) => l.stream === stream).map((l) => l.message);
        assert.deepEqual(on("stdout"), [`one ${tag}`, `two ${tag}`]);
        assert.deepEqual(on("stderr"), [`three ${tag}`, `four ${tag}`, `INFO five ${tag}`]);
      }
    });
  });
}
