/**
 * The runner fleet protocol end to end across both deployables: the control plane's RunnerClient
 * against a real `hotswap runner` HTTP server (RunnerServer) with a scripted target. It lives in
 * tests/ because it imports both sides, which platform/ and runner/ must never do.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FunctionSpec, InvokeOutcome } from "../../protocol/invoke.ts";
import { encodeSpec, HEADER_CLUSTER_SECRET, HEADER_SPEC, type ProvisionRequest } from "../../protocol/fleet.ts";
import { RunnerClient } from "../../platform/src/fleet/runner-client.ts";
import { RunnerServer, type RunnerServerTarget } from "../../runner/src/fleet/runner-server.ts";

const SECRET = "a-cluster-secret-of-some-length";
const spec: FunctionSpec = {
  functionName: "echo",
  version: 3,
  runtime: "nodejs20",
  handler: "index.handler",
  memorySize: 256,
  timeout: 5,
  environment: { GREETING: "héllo, wörld" },
  codeSha256: "a".repeat(64),
  protocol: "fast",
  instanceConcurrency: 1,
};

let next: (payload: Buffer) => InvokeOutcome = (payload) => ({ kind: "success", payload, coldStart: true, start: "stem", durationMs: 12.5 });
const seen: Array<{ spec: FunctionSpec; requestId: string; traceparent?: string }> = [];
/** InvokeRequest.logTail as the target received it, per request id. */
const logTailAsked = new Map<string, boolean | undefined>();
const provisions: ProvisionRequest[] = [];
const prefetched: FunctionSpec[] = [];
let ready = true;
const target: RunnerServerTarget = {
  async invoke(req) {
    seen.push({ spec: req.spec, requestId: req.requestId, traceparent: req.traceparent });
    logTailAsked.set(req.requestId, req.logTail);
    return next(req.payload);
  },
  freeSlots: () => 2,
  runtimes: async () => [{ id: "nodejs20", available: true }],
  provision: async (req) => (provisions.push(req), { live: req.count, applied: true }),
  async prefetch(s) {
    if (s.codeSha256 === "f".repeat(64)) throw new Error(`code package ${s.codeSha256} is not in the code store`);
    prefetched.push(s);
  },
  heartbeat: () => ({}) as never,
  ready: () => ready,
};

let server: RunnerServer;
let client: RunnerClient;
let url: string;
before(async () => {
  server = new RunnerServer({ id: "r-test", secret: SECRET, target, log: { warn() {} } });
  const a = await server.listen("127.0.0.1", 0);
  url = `http://127.0.0.1:${a.port}`;
  client = new RunnerClient(url, SECRET);
});
after(async () => {
  await client.close();
  server.closeAllConnections();
  await server.close();
});

test("forwards an invocation and returns the runner's outcome with its placement data", async () => {
  const r = await client.invoke(encodeSpec(spec), { spec, requestId: "req-123456", payload: Buffer.from('{"a":1}'), traceparent: "00-abc-def-01" }, 5000);
  assert.equal(r.kind, "answered");
  if (r.kind !== "answered") return;
  assert.deepEqual(r.outcome, { kind: "success", payload: Buffer.from('{"a":1}'), coldStart: true, start: "stem", durationMs: 12.5 });
  assert.equal(r.free, 2);
  assert.equal(r.inflight, 0);
  assert.deepEqual(seen.at(-1), { spec, requestId: "req-123456", traceparent: "00-abc-def-01" });
});

test("carries platform errors, with the refused flag when the runner did not run the invocation", async () => {
  next = () => ({ kind: "platform-error", code: "ServiceUnavailable", message: "runner is draining", refused: true });
  const r = await client.invoke(encodeSpec(spec), { spec, requestId: "req-2", payload: Buffer.from("{}") }, 5000);
  assert.equal(r.kind, "answered");
  if (r.kind === "answered") assert.deepEqual(r.outcome, { kind: "platform-error", code: "ServiceUnavailable", message: "runner is draining", refused: true });
  next = () => ({ kind: "platform-error", code: "TimeoutError", message: "Task timed out after 5.00 seconds", coldStart: false, start: "warm", durationMs: 5000 });
  const t = await client.invoke(encodeSpec(spec), { spec, requestId: "req-3", payload: Buffer.from("{}") }, 5000);
  if (t.kind === "answered") assert.deepEqual(t.outcome, { kind: "platform-error", code: "TimeoutError", message: "Task timed out after 5.00 seconds", coldStart: false, start: "warm", durationMs: 5000 });
});

test("refuses requests without the cluster secret, and /health answers without it", async () => {
  const res = await fetch(`${url}/v1/invoke`, { method: "POST", headers: { [HEADER_SPEC]: encodeSpec(spec) }, body: "{}" });
  assert.equal(res.status, 401);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /HOTSWAP_CLUSTER_SECRET/);
  const wrong = new RunnerClient(url, "another-secret-entirely!!");
  const r = await wrong.invoke(encodeSpec(spec), { spec, requestId: "x", payload: Buffer.from("{}") }, 5000);
  assert.equal(r.kind === "answered" && r.outcome.kind === "platform-error" && r.outcome.refused, true);
  await wrong.close();
  assert.equal((await fetch(`${url}/health`)).status, 200);
  ready = false;
  assert.equal((await fetch(`${url}/health`)).status, 503);
  ready = true;
});

test("rejects a malformed spec header with 400", async () => {
  const res = await fetch(`${url}/v1/invoke`, { method: "POST", headers: { [HEADER_CLUSTER_SECRET]: SECRET, [HEADER_SPEC]: "bm90IGpzb24" }, body: "{}" });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /invalid x-hotswap-spec/);
});

test("passes provisioning commands and runtimes through the typed client", async () => {
  const p = await client.provision({ spec, count: 2, holdMs: 5000, touch: false, leaderToken: 7 });
  assert.deepEqual(p, { ok: true, value: { live: 2, applied: true } });
  assert.equal(provisions.at(-1)?.leaderToken, 7);
  const bad = await client.provision({ spec: { ...spec, version: -1 }, count: 1, touch: false } as ProvisionRequest);
  assert.equal(bad.ok, false);
  assert.deepEqual(await client.runtimes(), { ok: true, value: [{ id: "nodejs20", available: true }] });
});

test("prefetch readies a version's code through the typed client; the runner's failure and a bad spec come back as errors", async () => {
  assert.deepEqual(await client.prefetch(spec), { ok: true, value: undefined });
  assert.deepEqual(prefetched.at(-1), spec);
  const missing = await client.prefetch({ ...spec, codeSha256: "f".repeat(64) });
  assert.equal(missing.ok, false);
  assert.match((missing as { error: string }).error, /answered 500: .*is not in the code store/);
  const bad = await client.prefetch({ ...spec, memorySize: -5 });
  assert.equal(bad.ok, false);
  assert.match((bad as { error: string }).error, /answered 400: .*ValidationError.*memorySize/);
  assert.equal(prefetched.length, 1, "neither failure reached the target as a success");
});

test("LogType: Tail crosses the fleet protocol: asked for with a request header, the tail returned base64 in a reply header", async () => {
  const tail = "START RequestId: req-tail Version: 3\nhéllo ✓ wörld\nEND RequestId: req-tail\nREPORT RequestId: req-tail\tDuration: 1.00 ms\n";
  next = (payload) => ({ kind: "success", payload, coldStart: false, start: "warm", durationMs: 1, logTail: tail });
  const asked = await client.invoke(encodeSpec(spec), { spec, requestId: "req-tail", payload: Buffer.from("{}"), logTail: true }, 5000);
  assert.equal(asked.kind, "answered");
  if (asked.kind === "answered") assert.equal(asked.outcome.logTail, tail);
  assert.equal(logTailAsked.get("req-tail"), true);
  next = () => ({ kind: "platform-error", code: "TimeoutError", message: "Task timed out after 5.00 seconds", coldStart: false, start: "warm", durationMs: 5000, logTail: "Task timed out after 5.00 seconds\n" });
  const failed = await client.invoke(encodeSpec(spec), { spec, requestId: "req-tail-2", payload: Buffer.from("{}"), logTail: true }, 5000);
  if (failed.kind === "answered") assert.equal(failed.outcome.logTail, "Task timed out after 5.00 seconds\n");
  next = (payload) => ({ kind: "success", payload, coldStart: false, start: "warm", durationMs: 1 });
  const plain = await client.invoke(encodeSpec(spec), { spec, requestId: "req-no-tail", payload: Buffer.from("{}") }, 5000);
  assert.equal(logTailAsked.get("req-no-tail"), undefined, "no header, no tail asked for");
  if (plain.kind === "answered") assert.equal("logTail" in plain.outcome, false);
});
