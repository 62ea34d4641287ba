/**
 * Lambda response streaming, end to end on the process backend: a Node handler wrapped in
 * `awslambda.streamifyResponse` (fast channel and Runtime API), and a `provided` custom runtime
 * that streams its `/response` through the Runtime API, answered
 * - buffered by Lambda's Invoke (what it wrote);
 * - as an event stream by InvokeWithResponseStream (the stock AWS SDK), chunk by chunk, the first
 *   before the handler finishes;
 * - chunked by HotSwap's invoke path and by an Http trigger (an HttpResponseStream's status,
 *   headers and cookies);
 * - with a handler error or a timeout mid-stream ending the stream as Lambda does;
 * and recorded once it ends (function logs, usage).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { zipSync } from "fflate";
import { InvokeCommand, InvokeWithResponseStreamCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { RuntimeProtocol } from "../../protocol/runtimes.ts";
import { deployFunction, nodeCode, type Code } from "../support/deploy.ts";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { waitFor } from "../support/wait-for.ts";
import { startSignalServer, type SignalServer } from "../support/signal-server.ts";
import { invokeRaw, readEvents } from "../support/streamed-invoke.ts";

/** A Lambda custom runtime (`provided`): a Node script speaking the Runtime API by hand, streaming its response with trailers. */
const PROVIDED_BOOTSTRAP = `#!/usr/bin/env node
const http = require("node:http");
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true });
const next = () => new Promise((resolve, reject) => http.get({ host, port, agent, path: "/2018-06-01/runtime/invocation/next" }, (res) => {
  let body = ""; res.on("data", (c) => (body += c)); res.on("end", () => resolve({ id: res.headers["lambda-runtime-aws-request-id"], event: JSON.parse(body) }));
}).on("error", reject));
(async () => {
  for (;;) {
    const { id, event } = await next();
    const req = http.request({ host, port, agent, method: "POST", path: "/2018-06-01/runtime/invocation/" + id + "/response", headers: {
      "Content-Type": "text/plain", "Transfer-Encoding": "chunked", "Lambda-Runtime-Function-Response-Mode": "streaming",
      "Trailer": "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body" } });
    const done = new Promise((resolve) => req.on("response", (res) => { res.resume(); res.on("end", resolve); }));
    req.write("custom-1;");
    await new Promise((r) => setTimeout(r, 50));
    req.write("custom-2;");
    if (event.fail) req.addTrailers({ "Lambda-Runtime-Function-Error-Type": "Custom.Failure", "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify({ errorType: "Custom.Failure", errorMessage: "custom runtime failed" })).toString("base64") });
    req.end();
    await done;
  }
})();
`;

let p: TestPlatform;
let lambda: LambdaClient;
let signals: SignalServer;

before(async () => {
  p = await startPlatform("embedded");
  const [, id, secret] = /^hs_([a-z0-9]+)_(.+)$/.exec(p.key)!;
  lambda = new LambdaClient({ endpoint: p.url, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: `hs_${id}`, secretAccessKey: secret! } });
  signals = await startSignalServer();
});
after(async () => {
  await signals?.close();
  lambda?.destroy();
  await p?.close();
});

const signalUrl = (name: string) => signals.url(name);
const release = (name: string) => signals.release(name);

let seq = 0;
async function deploy(code: Code, protocol: RuntimeProtocol, extra: Record<string, unknown> = {}): Promise<string> {
  const name = `stream-${++seq}-${protocol === "fast" ? "f" : "r"}`;
  await deployFunction(p, { name, protocol, code, timeout: 10, ...extra } as never);
  return name;
}

for (const protocol of ["fast", "runtime-api"] as const) {
  describe(`a Node streaming handler over ${protocol}`, () => {
    let name: string;
    before(async () => {
      name = await deploy({ fixture: "node-streaming" }, protocol);
    });

    it("answers a buffered Lambda Invoke with what it wrote", async () => {
      const out = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: "{}" }));
      assert.equal(out.StatusCode, 200);
      assert.equal(out.FunctionError, undefined);
      assert.equal(new TextDecoder().decode(out.Payload), "first;second;third");
    });

    it("streams InvokeWithResponseStream chunk by chunk, the first before the handler finishes", async () => {
      const sig = `sdk-${protocol}`;
      const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: JSON.stringify({ signal: signalUrl(sig) }) }));
      assert.equal(out.StatusCode, 200);
      assert.equal(out.ExecutedVersion, "1");
      const events: Array<{ chunk?: string; complete?: unknown }> = [];
      const iterator = out.EventStream![Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.equal(new TextDecoder().decode(first.value?.PayloadChunk?.Payload), "first;");
      // The handler is still waiting for this signal: the chunk came while it ran.
      await signals.arrived(sig);
      release(sig);
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
        if (r.value.PayloadChunk) events.push({ chunk: new TextDecoder().decode(r.value.PayloadChunk.Payload) });
        if (r.value.InvokeComplete) events.push({ complete: r.value.InvokeComplete });
      }
      assert.equal(events.filter((e) => e.chunk).map((e) => e.chunk).join(""), "second;third");
      assert.deepEqual(events.at(-1), { complete: {} }, "InvokeComplete without an error ends the stream");
    });

    it("ends InvokeWithResponseStream with the handler's error after what it wrote, and the log tail", async () => {
      const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: JSON.stringify({ fail: true }), LogType: "Tail" }));
      const { text, complete } = await readEvents(out);
      assert.equal(text, "first;second;");
      assert.equal(complete?.ErrorCode, "Error");
      assert.equal(complete?.ErrorDetails, "boom mid-stream");
      assert.match(Buffer.from(complete!.LogResult!, "base64").toString("utf8"), /streaming for /);
    });

    it("streams HotSwap's invoke path chunked, headers and first bytes before the handler ends", async () => {
      const sig = `hotswap-${protocol}`;
      const r = await invokeRaw(p, `/api/v1/functions/${name}/invoke`, { signal: signalUrl(sig) });
      assert.equal(r.status, 200);
      assert.equal(r.headers["content-type"], "text/plain");
      assert.equal(r.headers["transfer-encoding"], "chunked");
      assert.equal(r.headers["x-hotswap-version"], "1");
      await waitFor("the first chunk", () => r.chunks.join("") === "first;");
      await signals.arrived(sig);
      release(sig);
      const trailers = await r.done;
      assert.equal(r.chunks.join(""), "first;second;third");
      assert.equal(trailers["x-hotswap-function-error"], undefined);
      assert.equal(trailers["x-hotswap-cold-start"], "false", "known only at the end: a trailer");
    });

    it("sends the log tail asked for with x-hotswap-log-type: Tail as a trailer", async () => {
      const r = await invokeRaw(p, `/api/v1/functions/${name}/invoke`, {}, { "x-hotswap-log-type": "Tail" });
      const trailers = await r.done;
      assert.equal(r.chunks.join(""), "first;second;third");
      assert.match(Buffer.from(trailers["x-hotswap-log-result"] ?? "", "base64").toString("utf8"), /streaming for /);
    });

    it("ends HotSwap's chunked answer with error trailers when the handler fails mid-stream", async () => {
      const r = await invokeRaw(p, `/api/v1/functions/${name}/invoke`, { fail: true });
      assert.equal(r.status, 200);
      const trailers = await r.done;
      assert.equal(r.chunks.join(""), "first;second;");
      assert.equal(trailers["x-hotswap-function-error"], "Unhandled");
      assert.equal(trailers["x-hotswap-error-message"], "Error: boom mid-stream");
    });
  });
}

describe("streaming limits and observation", () => {
  it("ends the stream with Sandbox.Timedout when the handler times out mid-stream", async () => {
    const name = await deploy({ fixture: "node-streaming" }, "fast", { timeout: 1 });
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: JSON.stringify({ hang: true }) }));
    const { text, complete } = await readEvents(out);
    assert.equal(text, "first;second;");
    assert.equal(complete?.ErrorCode, "Sandbox.Timedout");
    assert.match(complete?.ErrorDetails ?? "", /Task timed out after 1.00 seconds/);
  });

  it("gives a non-streaming handler's answer as one chunk through InvokeWithResponseStream", async () => {
    const name = await deploy(nodeCode(`exports.handler = async (e) => ({ plain: e.n });`), "fast");
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: JSON.stringify({ n: 7 }) }));
    const { chunks } = await readEvents(out);
    assert.deepEqual(chunks, ['{"plain":7}']);
  });

  it("records a streamed invocation in the function's logs once it ends", async () => {
    const name = await deploy({ fixture: "node-streaming" }, "fast");
    const r = await invokeRaw(p, `/api/v1/functions/${name}/invoke`, {});
    await r.done;
    const requestId = String(r.headers["x-request-id"]);
    const lines = await waitFor(
      "the streamed invocation's REPORT line",
      async () => ((await p.api("GET", `/api/v1/functions/${name}/logs`)).json as { lines?: Array<{ message: string }> }).lines?.map((l) => l.message) ?? [],
      { until: (ls) => ls.some((l) => l.startsWith(`REPORT RequestId: ${requestId}`)) },
    );
    assert.ok(lines.some((l) => l.includes(`streaming for ${requestId}`)), lines.join("\n"));
  });
});

describe("an Http trigger on a streaming handler", () => {
  it("streams with the HttpResponseStream's status, headers and cookies", async () => {
    const name = await deploy({ fixture: "node-streaming" }, "fast");
    const created = await p.api("POST", "/api/v1/triggers", { functionName: name, type: "Http", config: { methods: ["POST"], path: `/streamed/${name}`, auth: "none" } });
    assert.equal(created.status, 201, created.text);
    const sig = "http-trigger";
    // The gateway hands the function the request as an API Gateway event; the body is our event.
    const r = await invokeRaw(p, `/fn/streamed/${name}`, { http: true, signal: signalUrl(sig) });
    assert.equal(r.status, 201);
    assert.equal(r.headers["content-type"], "text/plain");
    assert.equal(r.headers["x-custom"], "yes");
    assert.deepEqual(r.headers["set-cookie"], ["a=1"]);
    assert.equal(r.headers["transfer-encoding"], "chunked");
    await waitFor("the first chunk", () => r.chunks.join("") === "first;");
    await signals.arrived(sig);
    release(sig);
    await r.done;
    assert.equal(r.chunks.join(""), "first;second;third");
  });
});

describe("a provided custom runtime streaming through the Runtime API", () => {
  let name: string;
  before(async () => {
    // An executable bootstrap, as Lambda requires of a custom runtime.
    const zip = zipSync({ bootstrap: [new TextEncoder().encode(PROVIDED_BOOTSTRAP), { os: 3, attrs: ((0o100000 | 0o755) << 16) >>> 0 }] });
    name = await deploy(zip, "runtime-api", { runtime: "provided", handler: "bootstrap" });
  });

  it("streams its chunked /response to InvokeWithResponseStream", async () => {
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: "{}" }));
    const { chunks, complete } = await readEvents(out);
    assert.equal(chunks.join(""), "custom-1;custom-2;");
    assert.deepEqual(complete, {});
  });

  it("reports the error its trailers carry", async () => {
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: JSON.stringify({ fail: true }) }));
    const { text, complete } = await readEvents(out);
    assert.equal(text, "custom-1;custom-2;");
    assert.equal(complete?.ErrorCode, "Custom.Failure");
    assert.equal(complete?.ErrorDetails, "custom runtime failed");
  });

  it("answers a buffered invoke with the whole stream", async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: "{}" }));
    assert.equal(new TextDecoder().decode(out.Payload), "custom-1;custom-2;");
    assert.equal(out.FunctionError, undefined);
  });
});
