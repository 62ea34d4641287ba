/**
 * The Runtime API server taking a streamed `/response` (Lambda-Runtime-Function-Response-Mode:
 * streaming), driven over real HTTP with node:http playing a custom runtime that writes chunks and
 * trailers, as AWS's runtime interface clients do.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { RuntimeApiServer } from "./runtime-api-server.ts";

const NEXT = "/2018-06-01/runtime/invocation/next";

/** Open a streamed /response for `id`; `done` resolves with the server's status when it answered. */
function openStream(address: string, id: string, contentType = "text/plain") {
  const [host, port] = address.split(":");
  const req = http.request({
    host,
    port: Number(port),
    method: "POST",
    path: `/2018-06-01/runtime/invocation/${id}/response`,
    headers: {
      "Content-Type": contentType,
      "Transfer-Encoding": "chunked",
      "Lambda-Runtime-Function-Response-Mode": "streaming",
      Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
    },
  });
  const done = new Promise<number>((resolve, reject) => {
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
  });
  req.flushHeaders();
  return { req, done };
}

test("passes a streamed /response to the invocation's sink as it arrives, then resolves at its end", async () => {
  const s = await RuntimeApiServer.start({ functionName: "f" });
  try {
    const next = fetch(`http://${s.address}${NEXT}`);
    const got: { type?: string; chunks: string[] } = { chunks: [] };
    let firstChunk!: () => void;
    const arrived = new Promise<void>((r) => (firstChunk = r));
    const result = s.invoke({
      requestId: "st-1",
      payload: Buffer.from("{}"),
      deadlineMs: Date.now() + 5000,
      stream: { begin: (ct) => (got.type = ct), write: (c) => (got.chunks.push(c.toString()), firstChunk()) },
    });
    await (await next).text();
    const { req, done } = openStream(s.address, "st-1");
    req.write("one;");
    await arrived; // the request is still open: the chunk was passed on before its end
    assert.deepEqual(got, { type: "text/plain", chunks: ["one;"] });
    req.end("two;");
    assert.equal(await done, 202);
    assert.deepEqual(await result, { kind: "success", payload: Buffer.alloc(0), streamed: { contentType: "text/plain" } });
    assert.deepEqual(got.chunks, ["one;", "two;"]);
  } finally {
    await s.close();
  }
});

test("buffers a streamed /response for a plain invoke, and reads a failure from the trailers", async () => {
  const s = await RuntimeApiServer.start({ functionName: "f" });
  try {
    const plain = s.invoke({ requestId: "st-2", payload: Buffer.from("{}"), deadlineMs: Date.now() + 5000 });
    await (await fetch(`http://${s.address}${NEXT}`)).text();
    const ok = openStream(s.address, "st-2", "application/octet-stream");
    ok.req.write(Buffer.from([0, 1, 2]));
    ok.req.end(Buffer.from([3]));
    assert.equal(await ok.done, 202);
    assert.deepEqual(await plain, { kind: "success", payload: Buffer.from([0, 1, 2, 3]), streamed: { contentType: "application/octet-stream" } });

    const failing = s.invoke({ requestId: "st-3", payload: Buffer.from("{}"), deadlineMs: Date.now() + 5000 });
    await (await fetch(`http://${s.address}${NEXT}`)).text();
    const bad = openStream(s.address, "st-3");
    bad.req.write("partial;");
    const doc = JSON.stringify({ errorType: "Error", errorMessage: "broke", trace: [] });
    bad.req.addTrailers({ "Lambda-Runtime-Function-Error-Type": "Error", "Lambda-Runtime-Function-Error-Body": Buffer.from(doc).toString("base64") });
    bad.req.end();
    assert.equal(await bad.done, 202);
    const r = await failing;
    assert.equal(r.kind, "function-error");
    if (r.kind === "function-error") {
      assert.equal(r.payload.toString(), doc);
      assert.deepEqual(r.streamed, { contentType: "text/plain" });
    }
  } finally {
    await s.close();
  }
});

test("answers 400 to a streamed /response for an unknown request id", async () => {
  const s = await RuntimeApiServer.start({ functionName: "f" });
  try {
    const { req, done } = openStream(s.address, "nobody");
    req.end("x");
    assert.equal(await done, 400);
  } finally {
    await s.close();
  }
});
