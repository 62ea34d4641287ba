/**
 * Response streaming across the fleet hop: the control plane's RunnerClient against a real
 * RunnerServer whose scripted target streams (calls the request's sink), as a streaming handler on
 * a `hotswap runner` does. The chunks reach the control plane's sink while the invocation still
 * runs, the outcome arrives at the end as in a plain reply, and a caller without a sink (a
 * buffered invoke) or a handler that does not stream gets the plain reply. Every case runs over
 * both transports of the hop: one HTTP request per invocation and the fleet channel
 * (protocol/fleet-channel.ts), which must carry no HTTP request for a streamed invocation.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FunctionSpec, InvokeOutcome, InvokeRequest, ResponseStreamSink } from "../../protocol/invoke.ts";
import { encodeSpec } from "../../protocol/fleet.ts";
import { RunnerClient } from "../../platform/src/fleet/runner-client.ts";
import { RunnerServer, type RunnerServerTarget } from "../../runner/src/fleet/runner-server.ts";

const SECRET = "a-cluster-secret-of-some-length";
const spec: FunctionSpec = {
  functionName: "streamer",
  version: 2,
  runtime: "nodejs20",
  handler: "index.handler",
  memorySize: 256,
  timeout: 5,
  environment: {},
  codeSha256: "b".repeat(64),
  protocol: "fast",
  instanceConcurrency: 1,
};

/** Released by the test once it saw the first chunk: the target then finishes. */
let release: () => void = () => {};
let script: (req: InvokeRequest) => Promise<InvokeOutcome>;
const target: RunnerServerTarget = {
  invoke: (req) => script(req),
  freeSlots: () => 1,
  runtimes: async () => [],
  provision: async () => ({ live: 0, applied: true }),
  heartbeat: () => ({}) as never,
  ready: () => true,
};

let server: RunnerServer;
const clients: Record<string, RunnerClient> = {};
/** HTTP requests the runner served. */
let httpRequests = 0;
before(async () => {
  server = new RunnerServer({ id: "r-stream", secret: SECRET, target, log: { warn() {} } });
  server.server.on("request", () => httpRequests++);
  const a = await server.listen("127.0.0.1", 0);
  clients.http = new RunnerClient(`http://127.0.0.1:${a.port}`, SECRET);
  clients.channel = new RunnerClient(`http://127.0.0.1:${a.port}`, SECRET, { channel: true });
});
after(async () => {
  for (const c of Object.values(clients)) await c.close();
  server.closeAllConnections();
  await server.close();
});

/** A sink recording what it got, with a promise for the first chunk. */
function recorder() {
  let first!: () => void;
  const firstChunk = new Promise<void>((r) => (first = r));
  const got: { contentType?: string; chunks: string[] } = { chunks: [] };
  const sink: ResponseStreamSink = {
    begin: (ct) => (got.contentType = ct),
    write: (c) => {
      got.chunks.push(c.toString("utf8"));
      first();
    },
  };
  return { sink, got, firstChunk };
}

/** A target that streams two chunks around a wait for the test's release, then ends with `outcome`. */
function streaming(outcome: (req: InvokeRequest) => InvokeOutcome) {
  return async (req: InvokeRequest) => {
    req.stream?.begin("text/plain");
    req.stream?.write(Buffer.from("one;"));
    await new Promise<void>((r) => (release = r));
    req.stream?.write(Buffer.from("two;"));
    return outcome(req);
  };
}

for (const [transport, label] of [
  ["http", "HTTP request per invocation"],
  ["channel", "fleet channel"],
] as const) {
  test(`${label}: chunks reach the control plane's sink before the invocation ends, the outcome after`, async () => {
    script = streaming(() => ({ kind: "success", payload: Buffer.alloc(0), coldStart: false, start: "warm", durationMs: 3, streamed: { contentType: "text/plain" } }));
    const { sink, got, firstChunk } = recorder();
    const forwarded = clients[transport]!.invoke(encodeSpec(spec), { spec, requestId: "s-1", payload: Buffer.from("{}"), stream: sink }, 5000);
    await firstChunk; // the target is still waiting for release()
    assert.deepEqual(got, { contentType: "text/plain", chunks: ["one;"] });
    release();
    const r = await forwarded;
    assert.equal(r.kind, "answered");
    if (r.kind !== "answered") return;
    assert.deepEqual(got.chunks, ["one;", "two;"]);
    assert.deepEqual(r.outcome, { kind: "success", payload: Buffer.alloc(0), coldStart: false, start: "warm", durationMs: 3, streamed: { contentType: "text/plain" } });
    assert.equal(r.free, 1);
  });

  test(`${label}: a handler error after streamed chunks arrives as the function error outcome`, async () => {
    const doc = Buffer.from(JSON.stringify({ errorType: "Error", errorMessage: "boom", trace: [] }));
    script = streaming(() => ({ kind: "function-error", payload: doc, coldStart: false, start: "warm", durationMs: 4, streamed: { contentType: "text/plain" } }));
    const { sink, got, firstChunk } = recorder();
    const forwarded = clients[transport]!.invoke(encodeSpec(spec), { spec, requestId: "s-2", payload: Buffer.from("{}"), stream: sink }, 5000);
    await firstChunk;
    release();
    const r = await forwarded;
    assert.deepEqual(got.chunks, ["one;", "two;"]);
    assert.equal(r.kind === "answered" && r.outcome.kind, "function-error");
    if (r.kind === "answered" && r.outcome.kind === "function-error") assert.deepEqual(JSON.parse(r.outcome.payload.toString()), JSON.parse(doc.toString()));
  });

  test(`${label}: a caller without a sink gets the plain reply, with the streamed content type`, async () => {
    script = async (req) => {
      assert.equal(req.stream, undefined, "the runner offers no sink when the control plane did not ask");
      return { kind: "success", payload: Buffer.from("one;two;"), coldStart: true, start: "fresh", durationMs: 5, streamed: { contentType: "text/plain; charset=utf-8" } };
    };
    const r = await clients[transport]!.invoke(encodeSpec(spec), { spec, requestId: "s-3", payload: Buffer.from("{}") }, 5000);
    assert.equal(r.kind, "answered");
    if (r.kind === "answered") {
      assert.deepEqual(r.outcome, { kind: "success", payload: Buffer.from("one;two;"), coldStart: true, start: "fresh", durationMs: 5, streamed: { contentType: "text/plain; charset=utf-8" } });
    }
  });

  test(`${label}: a handler that does not stream is answered plainly even when the caller could take a stream`, async () => {
    script = async (req) => ({ kind: "success", payload: req.payload, coldStart: false, start: "warm", durationMs: 1 });
    const { sink, got } = recorder();
    const r = await clients[transport]!.invoke(encodeSpec(spec), { spec, requestId: "s-4", payload: Buffer.from('{"x":1}'), stream: sink }, 5000);
    assert.equal(r.kind, "answered");
    if (r.kind === "answered") assert.deepEqual(r.outcome, { kind: "success", payload: Buffer.from('{"x":1}'), coldStart: false, start: "warm", durationMs: 1 });
    assert.deepEqual(got, { chunks: [] });
  });

  test(`${label}: a streamed invocation ${transport === "channel" ? "makes no HTTP request" : "is one HTTP request"}`, async () => {
    script = streaming(() => ({ kind: "success", payload: Buffer.alloc(0), coldStart: false, start: "warm", durationMs: 1, streamed: { contentType: "text/plain" } }));
    const { sink, got, firstChunk } = recorder();
    const before = httpRequests;
    const forwarded = clients[transport]!.invoke(encodeSpec(spec), { spec, requestId: `s-5-${transport}`, payload: Buffer.from("{}"), stream: sink }, 5000);
    await firstChunk;
    release();
    assert.equal((await forwarded).kind, "answered");
    assert.deepEqual(got.chunks, ["one;", "two;"]);
    assert.equal(httpRequests - before, transport === "channel" ? 0 : 1);
  });
}
