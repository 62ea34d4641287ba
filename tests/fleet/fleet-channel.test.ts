/**
 * The fleet channel (protocol/fleet-channel.ts) end to end across both deployables: the control
 * plane's RunnerClient with the channel on, against a real RunnerServer with a scripted target.
 * Invocations must cross it with the same outcomes and delivery semantics as POST /v1/invoke:
 * replies matched by id in any order, specs sent once per connection, a refused upgrade falling
 * back to HTTP, a runner lost mid-invocation reported as lost, an unreachable one as not delivered.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import type { FunctionSpec, InvokeOutcome, InvokeRequest } from "../../protocol/invoke.ts";
import { encodeSpec } from "../../protocol/fleet.ts";
import { RunnerClient } from "../../platform/src/fleet/runner-client.ts";
import { RunnerServer, type RunnerServerTarget } from "../../runner/src/fleet/runner-server.ts";
import { functionSpec } from "../support/function-spec.ts";

const SECRET = "a-cluster-secret-of-some-length";
const spec: FunctionSpec = functionSpec({ functionName: "echo", version: 3, timeout: 5, environment: { GREETING: "héllo, wörld" }, codeSha256: "a".repeat(64) });

let next: (req: InvokeRequest) => InvokeOutcome | Promise<InvokeOutcome> = (req) => ({ kind: "success", payload: req.payload, coldStart: false, start: "warm", durationMs: 1.25 });
const seen: InvokeRequest[] = [];
const target: RunnerServerTarget = {
  async invoke(req) {
    seen.push(req);
    return next(req);
  },
  freeSlots: () => 5,
  runtimes: async () => [{ id: "nodejs20", available: true }],
  provision: async (req) => ({ live: req.count, applied: true }),
  heartbeat: () => ({}) as never,
  ready: () => true,
};

let server: RunnerServer;
let client: RunnerClient;
let url: string;
/** HTTP requests the runner served (the channel's invocations are not among them). */
let httpRequests = 0;
before(async () => {
  server = new RunnerServer({ id: "r-chan", secret: SECRET, target, log: { warn() {} } });
  server.server.on("request", () => httpRequests++);
  const a = await server.listen("127.0.0.1", 0);
  url = `http://127.0.0.1:${a.port}`;
  client = new RunnerClient(url, SECRET, { channel: true });
});
after(async () => {
  await client.close();
  server.closeAllConnections();
  await server.close();
});

const call = (requestId: string, extra: Partial<InvokeRequest> = {}) => client.invoke(encodeSpec(spec), { spec, requestId, payload: Buffer.from(`{"id":"${requestId}"}`), ...extra }, 5000);

test("carries invocations over the channel, not as HTTP requests, with every request field and the placement data", async () => {
  const before = httpRequests;
  const r = await call("req-1", { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", clientContext: "e30=", qualifier: "live", logTail: true });
  assert.equal(r.kind, "answered");
  if (r.kind !== "answered") return;
  assert.deepEqual(r.outcome, { kind: "success", payload: Buffer.from('{"id":"req-1"}'), coldStart: false, start: "warm", durationMs: 1.25 });
  assert.equal(r.free, 5);
  assert.equal(r.inflight, 0);
  const got = seen.at(-1)!;
  assert.deepEqual(got.spec, spec);
  assert.equal(got.requestId, "req-1");
  assert.equal(got.traceparent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  assert.equal(got.clientContext, "e30=");
  assert.equal(got.qualifier, "live");
  assert.equal(got.logTail, true);
  assert.equal(httpRequests, before, "no HTTP request for the invocation");
});

test("matches replies to their invocations when they come back out of order, and decodes the spec once per connection", async () => {
  next = async (req) => {
    const n = Number(req.requestId.slice(2));
    await new Promise((r) => setTimeout(r, (20 - n) * 3));
    return { kind: "success", payload: req.payload, coldStart: false, start: "warm", durationMs: n };
  };
  const from = seen.length;
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => call(`c-${i}`)));
  results.forEach((r, i) => {
    assert.equal(r.kind, "answered");
    if (r.kind === "answered" && r.outcome.kind === "success") {
      assert.equal(r.outcome.payload.toString(), `{"id":"c-${i}"}`);
      assert.equal(r.outcome.durationMs, i);
    }
  });
  const specs = new Set(seen.slice(from).map((s) => s.spec));
  assert.equal(specs.size, 1, "every invocation on the connection shares one decoded spec");
});

test("carries platform errors with their document, the refused flag and the log tail", async () => {
  const doc = Buffer.from(JSON.stringify({ errorMessage: "bad import", errorType: "Runtime.ImportModuleError" }));
  next = () => ({ kind: "platform-error", code: "InitError", message: "bad import", errorDocument: doc, coldStart: true, start: "fresh", durationMs: 40, logTail: "ünïcode tail\n" });
  const r = await call("err-1");
  assert.equal(r.kind, "answered");
  if (r.kind === "answered") {
    assert.deepEqual(r.outcome, { kind: "platform-error", code: "InitError", message: "bad import", errorDocument: doc, coldStart: true, start: "fresh", durationMs: 40, logTail: "ünïcode tail\n" });
  }
  next = () => ({ kind: "platform-error", code: "ServiceUnavailable", message: "runner is draining", refused: true });
  const refused = await call("err-2");
  if (refused.kind === "answered") assert.deepEqual(refused.outcome, { kind: "platform-error", code: "ServiceUnavailable", message: "runner is draining", refused: true });
  else assert.fail(`expected an answer, got ${refused.kind}`);
  next = (req) => ({ kind: "function-error", payload: Buffer.from(`{"errorMessage":"boom ${req.requestId}"}`), coldStart: false, start: "warm", durationMs: 2 });
  const fnErr = await call("err-3");
  if (fnErr.kind === "answered") assert.deepEqual(fnErr.outcome, { kind: "function-error", payload: Buffer.from('{"errorMessage":"boom err-3"}'), coldStart: false, start: "warm", durationMs: 2 });
  else assert.fail(`expected an answer, got ${fnErr.kind}`);
});

test("carries a large event and a large reply whole", async () => {
  next = (req) => ({ kind: "success", payload: Buffer.concat([req.payload, req.payload]), coldStart: false, start: "warm", durationMs: 1 });
  const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
  const r = await client.invoke(encodeSpec(spec), { spec, requestId: "big", payload: big }, 5000);
  assert.equal(r.kind, "answered");
  if (r.kind === "answered" && r.outcome.kind === "success") assert.ok(r.outcome.payload.equals(Buffer.concat([big, big])));
  else assert.fail("expected a success");
});

test("an invocation in flight when the runner drops the connection is lost, and the next one reconnects", async () => {
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  next = () => (started(), new Promise(() => {}));
  const pending = call("lost-1");
  await running;
  server.closeAllConnections();
  const r = await pending;
  assert.equal(r.kind, "lost");
  next = (req) => ({ kind: "success", payload: req.payload, coldStart: false, start: "warm", durationMs: 1 });
  const again = await call("after-loss");
  assert.equal(again.kind, "answered");
});

test("a runner that never answers is lost after the deadline", async () => {
  next = () => new Promise(() => {});
  const t0 = Date.now();
  const r = await client.invoke(encodeSpec(spec), { spec, requestId: "slow", payload: Buffer.from("{}") }, 300);
  assert.equal(r.kind, "lost");
  assert.ok(Date.now() - t0 >= 250);
  next = (req) => ({ kind: "success", payload: req.payload, coldStart: false, start: "warm", durationMs: 1 });
});

test("a wrong secret is refused at the upgrade, and the invocation falls back to HTTP, which refuses it too", async () => {
  const wrong = new RunnerClient(url, "another-secret-entirely!!", { channel: true });
  const before = httpRequests;
  const r = await wrong.invoke(encodeSpec(spec), { spec, requestId: "x", payload: Buffer.from("{}") }, 5000);
  assert.equal(r.kind === "answered" && r.outcome.kind === "platform-error" && r.outcome.refused, true);
  assert.equal(httpRequests, before + 1, "the fallback went over HTTP");
  await wrong.close();
});

test("a runner without the channel (an older one) is served over HTTP", async () => {
  const old = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "x-hotswap-outcome": "success", "x-hotswap-runner-free": "1" });
    res.end("old");
  });
  await new Promise<void>((r) => old.listen(0, "127.0.0.1", () => r()));
  const c = new RunnerClient(`http://127.0.0.1:${(old.address() as { port: number }).port}`, SECRET, { channel: true });
  const r = await c.invoke(encodeSpec(spec), { spec, requestId: "o", payload: Buffer.from("{}") }, 5000);
  assert.equal(r.kind, "answered");
  if (r.kind === "answered" && r.outcome.kind === "success") assert.equal(r.outcome.payload.toString(), "old");
  await c.close();
  old.closeAllConnections();
  await new Promise<void>((r) => old.close(() => r()));
});

test("an unreachable runner is a failure before delivery", async () => {
  const gone = createServer();
  await new Promise<void>((r) => gone.listen(0, "127.0.0.1", () => r()));
  const port = (gone.address() as { port: number }).port;
  await new Promise<void>((r) => gone.close(() => r()));
  const c = new RunnerClient(`http://127.0.0.1:${port}`, SECRET, { channel: true });
  const r = await c.invoke(encodeSpec(spec), { spec, requestId: "u", payload: Buffer.from("{}") }, 5000);
  assert.equal(r.kind, "not-delivered");
  if (r.kind === "not-delivered") assert.match(`${(r.error as { code?: string }).code} ${r.error.message}`, /ECONNREFUSED/);
  await c.close();
});
