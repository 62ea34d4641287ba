/** The Runtime API server driven over real HTTP, with fetch playing the custom runtime. */
import { test } from "node:test";
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import { InitError, type InstanceResult } from "../backends/backend.ts";
import { RuntimeApiServer, xrayTraceId } from "./runtime-api-server.ts";

const NEXT = "/2018-06-01/runtime/invocation/next";

async function withServer(fn: (s: RuntimeApiServer, base: string) => Promise<void>, opts = {}): Promise<void> {
  const s = await RuntimeApiServer.start({ functionName: "f", ...opts });
  try {
    await fn(s, `http://${s.address}`);
  } finally {
    await s.close();
  }
}

function payloadOf(r: InstanceResult): string {
  assert.ok(r.kind !== "platform-error", JSON.stringify(r));
  return (r as { payload: Buffer }).payload.toString();
}

test("listens on 127.0.0.1 with an ephemeral port and advertises host:port", async () => {
  await withServer(async (s) => {
    assert.match(s.address, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(s.address, "127.0.0.1:0");
  });
});

test("becomes ready at the first /next and hands it the invocation with Lambda's headers", async () => {
  await withServer(async (s, base) => {
    const next = fetch(base + NEXT);
    await s.ready;
    const result = s.invoke({
      requestId: "req-1",
      payload: Buffer.from('{"hello":"world"}'),
      deadlineMs: 1700000000123,
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      clientContext: Buffer.from('{"custom":{"a":1}}').toString("base64"),
      qualifier: "live",
    });
    const res = await next;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("lambda-runtime-aws-request-id"), "req-1");
    assert.equal(res.headers.get("lambda-runtime-deadline-ms"), "1700000000123");
    assert.equal(res.headers.get("lambda-runtime-invoked-function-arn"), "arn:aws:lambda:us-east-1:000000000000:function:f:live");
    assert.equal(res.headers.get("lambda-runtime-trace-id"), "Root=1-0af76519-16cd43dd8448eb211c80319c;Parent=b7ad6b7169203331;Sampled=1");
    assert.equal(res.headers.get("lambda-runtime-client-context"), '{"custom":{"a":1}}');
    assert.deepEqual(await res.json(), { hello: "world" });
    const post = await fetch(`${base}/2018-06-01/runtime/invocation/req-1/response`, { method: "POST", body: '{"ok":true}' });
    assert.equal(post.status, 202);
    assert.deepEqual(await post.json(), { status: "OK" });
    assert.equal(payloadOf(await result), '{"ok":true}');
  });
});

test("queues invocations until a runtime asks, and gives concurrent /next callers one invocation each", async () => {
  await withServer(async (s, base) => {
    const results = [1, 2, 3].map((i) => s.invoke({ requestId: `r${i}`, payload: Buffer.from(String(i)), deadlineMs: 0 }));
    assert.equal(s.inflight, 3);
    const nexts = await Promise.all([1, 2, 3].map(() => fetch(base + NEXT)));
    const ids = nexts.map((r) => r.headers.get("lambda-runtime-aws-request-id")).sort();
    assert.deepEqual(ids, ["r1", "r2", "r3"]);
    await Promise.all(
      nexts.map(async (r) => {
        const id = r.headers.get("lambda-runtime-aws-request-id")!;
        const n = await r.text();
        await fetch(`${base}/2018-06-01/runtime/invocation/${id}/response`, { method: "POST", body: `[${n}]` });
      }),
    );
    assert.deepEqual((await Promise.all(results)).map(payloadOf), ["[1]", "[2]", "[3]"]);
  });
});

test("keeps a posted JSON error document byte for byte; a non-JSON body gets errorType from Lambda-Runtime-Function-Error-Type", async () => {
  await withServer(async (s, base) => {
    const r1 = s.invoke({ requestId: "e1", payload: Buffer.from("{}"), deadlineMs: 0 });
    await fetch(base + NEXT);
    const res = await fetch(`${base}/2018-06-01/runtime/invocation/e1/error`, {
      method: "POST",
      headers: { "Lambda-Runtime-Function-Error-Type": "Runtime.Custom" },
      body: JSON.stringify({ errorMessage: "it broke", stackTrace: ["line 1"] }),
    });
    assert.equal(res.status, 202);
    const e1 = await r1;
    assert.equal(e1.kind, "function-error");
    assert.equal(payloadOf(e1), JSON.stringify({ errorMessage: "it broke", stackTrace: ["line 1"] }));

    const r2 = s.invoke({ requestId: "e2", payload: Buffer.from("{}"), deadlineMs: 0 });
    await fetch(base + NEXT);
    await fetch(`${base}/2018-06-01/runtime/invocation/e2/error`, { method: "POST", body: "plain text failure" });
    assert.deepEqual(JSON.parse(payloadOf(await r2)), { errorType: "Runtime.Unknown", errorMessage: "plain text failure", stackTrace: [] });

    const r3 = s.invoke({ requestId: "e3", payload: Buffer.from("{}"), deadlineMs: 0 });
    await fetch(base + NEXT);
    await fetch(`${base}/2018-06-01/runtime/invocation/e3/error`, { method: "POST", headers: { "Lambda-Runtime-Function-Error-Type": "Runtime.Custom" }, body: "not json" });
    assert.deepEqual(JSON.parse(payloadOf(await r3)), { errorType: "Runtime.Custom", errorMessage: "not json", stackTrace: [] });
  });
});

test("answers 400 for unknown or already answered request ids, 404 for unknown paths, 405 for wrong methods", async () => {
  await withServer(async (s, base) => {
    const unknown = await fetch(`${base}/2018-06-01/runtime/invocation/nope/response`, { method: "POST", body: "{}" });
    assert.equal(unknown.status, 400);
    assert.equal(((await unknown.json()) as { errorType: string }).errorType, "InvalidRequestID");
    const r = s.invoke({ requestId: "once", payload: Buffer.from("{}"), deadlineMs: 0 });
    await fetch(base + NEXT);
    assert.equal((await fetch(`${base}/2018-06-01/runtime/invocation/once/response`, { method: "POST", body: "1" })).status, 202);
    await r;
    assert.equal((await fetch(`${base}/2018-06-01/runtime/invocation/once/response`, { method: "POST", body: "2" })).status, 400);
    assert.equal((await fetch(`${base}/2018-06-01/runtime/other`)).status, 404);
    assert.equal((await fetch(`${base}/elsewhere`)).status, 404);
    assert.equal((await fetch(base + NEXT, { method: "POST", body: "" })).status, 405);
  });
});

test("answers 413 to a response over the payload limit and fails the invocation with ResponseSizeTooLarge", async () => {
  await withServer(
    async (s, base) => {
      const r = s.invoke({ requestId: "big", payload: Buffer.from("{}"), deadlineMs: 0 });
      await fetch(base + NEXT);
      const res = await fetch(`${base}/2018-06-01/runtime/invocation/big/response`, { method: "POST", body: "x".repeat(1001) });
      assert.equal(res.status, 413);
      const out = await r;
      assert.equal(out.kind, "function-error");
      assert.match(payloadOf(out), /Function.ResponseSizeTooLarge/);
    },
    { maxPayloadBytes: 1000 },
  );
});

test("rejects ready with an InitError from /init/error, and refuses /init/error after the first /next", async () => {
  await withServer(async (s, base) => {
    const res = await fetch(`${base}/2018-06-01/runtime/init/error`, {
      method: "POST",
      headers: { "Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError" },
      body: JSON.stringify({ errorMessage: "Cannot find module 'x'", errorType: "Runtime.ImportModuleError", stackTrace: [] }),
    });
    assert.equal(res.status, 202);
    await assert.rejects(s.ready, (e: unknown) => e instanceof InitError && e.errorType === "Runtime.ImportModuleError" && /Cannot find module/.test(e.message));
  });
  await withServer(async (_s, base) => {
    const controller = new AbortController();
    void fetch(base + NEXT, { signal: controller.signal }).catch(() => {});
    await _s.ready;
    assert.equal((await fetch(`${base}/2018-06-01/runtime/init/error`, { method: "POST", body: "{}" })).status, 403);
    controller.abort();
  });
});

test("fail() resolves queued and delivered invocations; close() ends a parked /next", async () => {
  const s = await RuntimeApiServer.start();
  const base = `http://${s.address}`;
  const delivered = s.invoke({ requestId: "d", payload: Buffer.from("{}"), deadlineMs: 0 });
  await fetch(base + NEXT);
  const queued = s.invoke({ requestId: "q", payload: Buffer.from("{}"), deadlineMs: 0 });
  const crash = { kind: "platform-error", code: "InstanceCrashed", message: "exit 3" } as const;
  s.fail(crash);
  assert.deepEqual(await delivered, crash);
  assert.deepEqual(await queued, crash);
  const parked = fetch(base + NEXT).then(
    () => "answered",
    () => "aborted",
  );
  await new Promise((r) => setTimeout(r, 20));
  await s.close();
  assert.equal(await parked, "aborted");
});

test("maps a W3C traceparent to an X-Ray trace header, and ignores malformed ones", () => {
  assert.equal(
    xrayTraceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"),
    "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=0",
  );
  assert.equal(xrayTraceId("garbage"), undefined);
});

test("with allowedPeers, requests wait until the peers are known, then only those peers get through", async () => {
  let allow!: (list: string[]) => void;
  const allowedPeers = new Promise<string[]>((r) => (allow = r));
  await withServer(
    async (s, base) => {
      let answered = false;
      const early = fetch(base + NEXT).then((res) => {
        answered = true;
        return res;
      });
      await new Promise((r) => setImmediate(r));
      assert.equal(answered, false, "held until the instance's address is known");
      allow(["127.0.0.2"]);
      const res = await early;
      assert.equal(res.status, 403, "127.0.0.1 is not the instance");
      assert.equal(((await res.json()) as { errorType: string }).errorType, "Forbidden");
      assert.equal(s.inflight, 0);
    },
    { allowedPeers },
  );
  await withServer(
    async (s, base) => {
      const next = fetch(base + NEXT);
      await s.ready;
      const result = s.invoke({ requestId: "mine", payload: Buffer.from("{}"), deadlineMs: 0 });
      assert.equal((await next).status, 200);
      await fetch(`${base}/2018-06-01/runtime/invocation/mine/response`, { method: "POST", body: "1" });
      assert.equal(payloadOf(await result), "1");
    },
    { allowedPeers: Promise.resolve(["127.0.0.1"]) },
  );
});

test("a client context with non-Latin-1 text goes out as its UTF-8 bytes and never throws", async () => {
  await withServer(async (s, base) => {
    const json = '{"custom":{"city":"東京"}}';
    const next = fetch(base + NEXT);
    await s.ready;
    const result = s.invoke({ requestId: "cc", payload: Buffer.from("{}"), deadlineMs: 0, clientContext: Buffer.from(json).toString("base64") });
    const res = await next;
    const header = res.headers.get("lambda-runtime-client-context")!;
    // fetch reads header bytes as Latin-1 (as Node's http does): the bytes are the JSON's UTF-8.
    assert.equal(Buffer.from(header, "latin1").toString("utf8"), json);
    await fetch(`${base}/2018-06-01/runtime/invocation/cc/response`, { method: "POST", body: "1" });
    assert.equal(payloadOf(await result), "1");
  });
});

test("an invocation that cannot be written fails alone: the /next caller gets the next one, the server keeps serving", async () => {
  const errors: string[] = [];
  await withServer(
    async (s, base) => {
      const next = fetch(base + NEXT);
      await s.ready;
      const broken = await s.invoke({ requestId: "broken", payload: undefined as unknown as Buffer, deadlineMs: 0 });
      assert.equal(broken.kind, "platform-error");
      assert.equal(errors.length, 1, "logged once");
      const good = s.invoke({ requestId: "good", payload: Buffer.from('"ok"'), deadlineMs: 0 });
      const res = await next;
      assert.equal(res.headers.get("lambda-runtime-aws-request-id"), "good");
      await fetch(`${base}/2018-06-01/runtime/invocation/good/response`, { method: "POST", body: "2" });
      assert.equal(payloadOf(await good), "2");
    },
    { onError: (m: string) => errors.push(m) },
  );
});

test("with allowedUid, only connections owned by that uid get through; anyone else gets a bare 403 that leaves the queue alone", { skip: process.getuid?.() !== 0 && "needs root to connect as another uid" }, async () => {
  const INSTANCE_UID = 65534; // nobody: plays the sandboxed instance
  const s = await RuntimeApiServer.start({ allowedUid: INSTANCE_UID });
  try {
    const base = `http://${s.address}`;
    const queued = s.invoke({ requestId: "u-1", payload: Buffer.from('{"secret":1}'), deadlineMs: 0 });
    // This test process is root: another local process, as far as the instance is concerned.
    const polled = await fetch(base + NEXT);
    assert.equal(polled.status, 403);
    assert.equal(await polled.text(), '{"errorType":"Forbidden","errorMessage":"Forbidden"}');
    assert.equal((await fetch(`${base}/2018-06-01/runtime/invocation/u-1/response`, { method: "POST", body: "forged" })).status, 403);
    assert.equal(s.inflight, 1, "the queued invocation was not handed out");
    // The instance's uid, with a plain client that knows only host:port, gets its invocation and answers it.
    const script = `const b = "http://${s.address}/2018-06-01/runtime/invocation/";
      fetch(b + "next").then(async (r) => { const id = r.headers.get("lambda-runtime-aws-request-id"); const ev = await r.text();
        const a = await fetch(b + id + "/response", { method: "POST", body: "answered " + ev }); process.exit(a.status === 202 ? 0 : 2); }, () => process.exit(1));`;
    const child = spawn(process.execPath, ["-e", script], { uid: INSTANCE_UID, gid: INSTANCE_UID, stdio: "ignore" });
    assert.equal(await new Promise((r) => child.on("exit", r)), 0);
    assert.equal(payloadOf(await queued), 'answered {"secret":1}');
  } finally {
    await s.close();
  }
});
