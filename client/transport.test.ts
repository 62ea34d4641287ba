/**
 * The client's transport without a platform: what it sends (URL, Bearer key, bodies, query), and how
 * every way a call can go wrong becomes an `{ ok: false }` value with a clear code.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { createApiClient, unwrap } from "./index.ts";
import { createPlainApiClient } from "./plain.ts";

const KEY = `hs_abcd1234_${"x".repeat(40)}`;

/** A fetch that records its requests and answers with `answer`. */
function recordingFetch(answer: () => Response) {
  const calls: Array<{ url: string; method: string; headers: Record<string, string>; body: unknown }> = [];
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), method: init?.method ?? "GET", headers: init?.headers as Record<string, string>, body: init?.body });
    return answer();
  }) as typeof fetch;
  return { calls, fetch: fetchFn };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("API client transport", () => {
  let silent: Server;
  let silentUrl: string;
  before(async () => {
    // Accepts connections and never answers: for timeouts and aborts.
    silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  after(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  test("sends the Bearer key, the JSON body and the path under the base URL (trailing slash ignored)", async () => {
    const f = recordingFetch(() => json(201, { version: 1, codeSha256: "ab", codeSize: 3 }));
    const api = createApiClient({ baseUrl: "http://hotswap.test/", apiKey: KEY, fetch: f.fetch });
    await api.functions.update("hello world", { memorySize: 512 });
    assert.equal(f.calls[0]!.url, "http://hotswap.test/api/v1/functions/hello%20world");
    assert.equal(f.calls[0]!.method, "PUT");
    assert.equal(f.calls[0]!.headers.authorization, `Bearer ${KEY}`);
    assert.equal(f.calls[0]!.headers["content-type"], "application/json");
    assert.equal(f.calls[0]!.body, '{"memorySize":512}');
    const published = await api.versions.publish("fn", new Uint8Array([1, 2, 3]), { description: "first cut" });
    assert.deepEqual(published, { ok: true, status: 201, value: { version: 1, codeSha256: "ab", codeSize: 3 }, requestId: undefined });
    assert.equal(f.calls[1]!.url, "http://hotswap.test/api/v1/functions/fn/versions?description=first+cut");
    assert.equal(f.calls[1]!.headers["content-type"], "application/zip");
    assert.deepEqual(f.calls[1]!.body, new Uint8Array([1, 2, 3]));
  });

  test("passes the invoke qualifier and the runners filter as query parameters", async () => {
    const f = recordingFetch(() => json(200, { runners: [] }));
    const api = createApiClient({ baseUrl: "http://hotswap.test", apiKey: KEY, fetch: f.fetch });
    await api.invoke("fn", { a: 1 }, { qualifier: "$LATEST" });
    await api.runners.list({ includeGone: true });
    await api.deployments.list({ functionName: "fn", status: "Paused" });
    assert.equal(f.calls[0]!.url, "http://hotswap.test/api/v1/functions/fn/invoke?qualifier=%24LATEST");
    assert.equal(f.calls[0]!.body, '{"a":1}');
    assert.equal(f.calls[1]!.url, "http://hotswap.test/api/v1/runners?include=gone");
    assert.equal(f.calls[2]!.url, "http://hotswap.test/api/v1/deployments?functionName=fn&status=Paused");
    await api.invoke("fn", undefined, { query: { tenant: "t1", qualifier: "live" } });
    assert.equal(f.calls[3]!.url, "http://hotswap.test/api/v1/functions/fn/invoke?tenant=t1&qualifier=live", "a qualifier in the query stands when none is given");
    assert.equal(f.calls[3]!.body, undefined, "no event, no body");
  });

  test("returns Unreachable with status 0 when nothing listens", async () => {
    // A port that was free a moment ago: connections to it are refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const api = createApiClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: KEY });
    const r = await api.functions.list();
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.status, 0);
    assert.equal(!r.ok && r.error.code, "Unreachable");
    assert.equal(!r.ok && r.error.message, `cannot reach the HotSwap API at http://127.0.0.1:${port} (ECONNREFUSED). Check the endpoint and that the control plane is running.`);
  });

  test("returns RequestTimeout when no answer comes within the call's timeout", async () => {
    const api = createApiClient({ baseUrl: silentUrl, apiKey: KEY, timeoutMs: 60_000 });
    const started = Date.now();
    const r = await api.functions.get("slow", { timeoutMs: 200 });
    assert.ok(Date.now() - started < 5000, "the per-call timeout wins over the client's");
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, "RequestTimeout");
    assert.match(!r.ok ? r.error.message : "", /did not answer GET \/api\/v1\/functions\/slow within 200 ms/);
  });

  test("returns Aborted when the caller's signal fires", async () => {
    const api = createApiClient({ baseUrl: silentUrl, apiKey: KEY });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const r = await api.system.runtimes({ signal: ac.signal });
    assert.equal(!r.ok && r.error.code, "Aborted");
  });

  test("an error answer carries the API's code, message, request id and extra fields", async () => {
    const f = recordingFetch(() =>
      json(400, { error: { code: "UnknownRuntime", message: "Runtime cobol is not supported.", validRuntimes: ["nodejs20"] } }, { "x-request-id": "req-12345678" }),
    );
    const r = await createApiClient({ baseUrl: "http://hotswap.test", apiKey: KEY, fetch: f.fetch }).functions.create({ name: "x", runtime: "cobol", handler: "i.h" });
    assert.deepEqual(r, {
      ok: false,
      error: { status: 400, code: "UnknownRuntime", message: "Runtime cobol is not supported.", requestId: "req-12345678", details: { validRuntimes: ["nodejs20"] } },
    });
  });

  test("an error answer that is not the API's error document becomes HTTP<status> with the body's start", async () => {
    const f = recordingFetch(() => new Response("<html>Bad Gateway</html>", { status: 502 }));
    const r = await createApiClient({ baseUrl: "http://hotswap.test", apiKey: KEY, fetch: f.fetch }).functions.list();
    assert.deepEqual(r, { ok: false, error: { status: 502, code: "HTTP502", message: "<html>Bad Gateway</html>" } });
  });

  test("an answer that does not match the API's schema is InvalidResponse naming the field; the plain client passes it through", async () => {
    const f = recordingFetch(() => json(200, { name: "fn", runtime: 20 }));
    const r = await createApiClient({ baseUrl: "http://hotswap.test", apiKey: KEY, fetch: f.fetch }).functions.get("fn");
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, "InvalidResponse");
    assert.equal(!r.ok && r.error.status, 200);
    assert.match(!r.ok ? r.error.message : "", /GET \/api\/v1\/functions\/fn is not a Function document: runtime: /);
    const plain = await createPlainApiClient({ baseUrl: "http://hotswap.test", apiKey: KEY, fetch: f.fetch }).functions.get("fn");
    assert.deepEqual(plain.ok && plain.value, { name: "fn", runtime: 20 });
  });

  test("a 2xx answer that is not JSON is InvalidResponse", async () => {
    const f = recordingFetch(() => new Response("ok", { status: 200 }));
    const r = await createApiClient({ baseUrl: "http://hotswap.test", apiKey: KEY, fetch: f.fetch }).system.runtimes();
    assert.equal(!r.ok && r.error.code, "InvalidResponse");
    assert.match(!r.ok ? r.error.message : "", /the body is not JSON/);
  });

  test("unwrap returns the value or throws naming the action, code and status", async () => {
    assert.equal(unwrap({ ok: true, status: 200, value: 7 }), 7);
    assert.throws(
      () => unwrap({ ok: false, error: { status: 404, code: "FunctionNotFound", message: "no such function" } }, "Reading fn"),
      /^Error: Reading fn failed \(FunctionNotFound, HTTP 404\): no such function$/,
    );
  });
});
