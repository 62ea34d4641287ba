import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { test } from "node:test";
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import { encodeSpec } from "../../../protocol/fleet.ts";
import { RunnerClient } from "./runner-client.ts";
import { functionSpec } from "../../../tests/support/function-spec.ts";

const spec: FunctionSpec = functionSpec({ functionName: "f", timeout: 1, codeSha256: "b".repeat(64) });
const req = { spec, requestId: "r-1", payload: Buffer.from("{}") };

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
}

test("a refused connection is a failure before delivery (safe to retry elsewhere)", async () => {
  const s = createServer();
  const port = await listen(s);
  await new Promise<void>((r) => s.close(() => r()));
  const client = new RunnerClient(`http://127.0.0.1:${port}`, "secret-secret-secret");
  const r = await client.invoke(encodeSpec(spec), req, 2000);
  assert.equal(r.kind, "not-delivered");
  if (r.kind === "not-delivered") assert.match(`${(r.error as { code?: string }).code} ${r.error.message}`, /ECONNREFUSED/);
  await client.close();
});

test("a connection lost after the request was written is a failure after delivery (never retried)", async () => {
  let received = 0;
  const s = createServer((rq) => {
    received++;
    rq.socket.destroy(); // the runner dies mid-invocation
  });
  const port = await listen(s);
  const client = new RunnerClient(`http://127.0.0.1:${port}`, "secret-secret-secret");
  const r = await client.invoke(encodeSpec(spec), req, 2000);
  assert.equal(r.kind, "lost");
  assert.equal(received, 1);
  await client.close();
  await new Promise<void>((r) => s.close(() => r()));
});

test("a runner that never answers is lost after the timeout", async () => {
  const s = createServer(() => {});
  const port = await listen(s);
  const client = new RunnerClient(`http://127.0.0.1:${port}`, "secret-secret-secret");
  const t0 = Date.now();
  const r = await client.invoke(encodeSpec(spec), req, 300);
  assert.equal(r.kind, "lost");
  assert.ok(Date.now() - t0 >= 250);
  await client.close();
  s.closeAllConnections();
  await new Promise<void>((r) => s.close(() => r()));
});
