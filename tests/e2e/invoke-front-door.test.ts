/**
 * The front door answers every invocation over HTTP, including the requests the old fast path
 * handed to Hono (no Bearer header, an odd qualifier or name, SigV4 on the HotSwap path) and the
 * whole Lambda invoke path. These pin those answers: status, the headers that carry meaning, and
 * the exact error documents, which must not change with the move.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { signWithSmithy } from "../support/sigv4-signer.ts";
import { zipFixture } from "../support/zip.ts";

let p: TestPlatform;
before(async () => {
  p = await startPlatform("embedded");
  await p.api("POST", "/api/v1/functions", { name: "ok", runtime: "nodejs20", handler: "index.handler" });
  await p.api("POST", "/api/v1/functions/ok/versions", zipFixture("node-cjs"), { "content-type": "application/zip" });
  await p.api("POST", "/api/v1/functions", { name: "capped", runtime: "nodejs20", handler: "index.handler", reservedConcurrency: 0 });
  await p.api("POST", "/api/v1/functions/capped/versions", zipFixture("node-cjs"), { "content-type": "application/zip" });
});
after(() => p.close());

const RID = { "x-request-id": "fixed-request-id-1" };
const HINT = 'Send "Authorization: Bearer hs_<id>_<secret>" with an API key';
const SIGV4_HINT = ', or sign the request with AWS SigV4 (access key id "hs_<id>", secret access key "<secret>")';

async function post(path: string, headers: Record<string, string>, body = "{}") {
  const res = await fetch(p.url + path, { method: "POST", headers: { ...RID, ...headers }, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
const bearer = () => ({ authorization: `Bearer ${p.key}` });
const error = (text: string) => JSON.parse(text).error as { code: string; message: string };

test("HotSwap path: credentials that are missing, of another scheme or not an API key get today's 401s", async () => {
  for (const [headers, message] of [
    [{}, `Missing credentials. ${HINT}`],
    [{ authorization: "Basic dXNlcjpwYXNz" }, `Unsupported Authorization scheme. ${HINT}`],
    [{ authorization: "Bearer" }, `Unsupported Authorization scheme. ${HINT}`],
    [{ authorization: "Bearer foo" }, `Malformed API key: expected hs_<id>_<secret>. ${HINT}`],
    [{ authorization: "AWS4-HMAC-SHA256 Credential=x" }, `AWS SigV4 is accepted only on the Lambda-compatible API (/2015-03-31/...). ${HINT}`],
  ] as const) {
    const r = await post("/api/v1/functions/ok/invoke", headers);
    assert.equal(r.status, 401, JSON.stringify(headers));
    assert.deepEqual(error(r.text), { code: "Unauthorized", message });
    assert.equal(r.headers.get("x-request-id"), "fixed-request-id-1");
    assert.equal(r.headers.get("content-type"), "application/json");
  }
});

test("HotSwap path: a name or qualifier the schema refuses is a 400 after authentication, a 401 before", async () => {
  const longQ = await post(`/api/v1/functions/ok/invoke?qualifier=${"q".repeat(129)}`, bearer());
  assert.equal(longQ.status, 400);
  assert.deepEqual(error(longQ.text), { code: "ValidationError", message: 'query field "qualifier": Too big: expected string to have <=128 characters' });
  for (const name of ["bad.name", "n".repeat(65), "o%2Fk", "o%zzk"]) {
    const r = await post(`/api/v1/functions/${name}/invoke`, bearer(), "{nope");
    assert.equal(r.status, 400, name);
    assert.deepEqual(error(r.text), { code: "ValidationError", message: `path field "name": must be 1-64 characters of letters, digits, '-' or '_'` });
  }
  assert.equal((await post("/api/v1/functions/bad.name/invoke", {})).status, 401);
  assert.equal((await post(`/api/v1/functions/ok/invoke?qualifier=${"q".repeat(129)}`, {})).status, 401);
  const encoded = await post("/api/v1/functions/%6Fk/invoke", bearer(), '{"enc":1}');
  assert.equal(encoded.status, 200, "a percent-encoded valid name still names the function");
  assert.deepEqual(JSON.parse(encoded.text).echo, { enc: 1 });
});

test("HotSwap path: reservedConcurrency 0 answers 429 with the version", async () => {
  const r = await post("/api/v1/functions/capped/invoke", bearer());
  assert.equal(r.status, 429);
  assert.equal(r.headers.get("x-hotswap-version"), "1");
  assert.equal(JSON.parse(r.text).errorType, "TooManyRequests");
});

test("other methods and paths near the invoke endpoint still go to the API's 404", async () => {
  for (const [method, path] of [["GET", "/api/v1/functions/ok/invoke"], ["POST", "/api/v1/functions/ok/invoke/"], ["GET", "/2015-03-31/functions/ok/invocations"]] as const) {
    const res = await fetch(p.url + path, { method, headers: bearer(), body: method === "POST" ? "{}" : undefined });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.match(await res.text(), /RouteNotFound/);
  }
});

test("Lambda path: refusals of the request carry x-request-id, answers about the invocation x-amzn-RequestId too", async () => {
  const noAuth = await post("/2015-03-31/functions/ok/invocations", {});
  assert.equal(noAuth.status, 403);
  assert.equal(noAuth.headers.get("x-amzn-errortype"), "UnrecognizedClientException");
  assert.deepEqual(JSON.parse(noAuth.text), { Type: "User", message: `Missing credentials. ${HINT}${SIGV4_HINT}`, code: "Unauthorized" });
  assert.equal(noAuth.headers.get("x-request-id"), "fixed-request-id-1");
  assert.equal(noAuth.headers.get("x-amzn-requestid"), null);

  const clash = await post("/2015-03-31/functions/ok%3A1/invocations?Qualifier=2", bearer());
  assert.equal(clash.status, 400);
  assert.equal(clash.headers.get("x-amzn-errortype"), "InvalidParameterValueException");
  assert.equal(clash.headers.get("x-amzn-requestid"), null);

  // Event is supported since issue 16 (asynchronous invocation); an unknown type is still refused.
  const event = await post("/2015-03-31/functions/ok/invocations", { ...bearer(), "x-amz-invocation-type": "Later" });
  assert.equal(event.status, 400);
  assert.equal(JSON.parse(event.text).message, 'InvocationType "Later" is not supported; use RequestResponse, Event, DryRun.');
  assert.equal(event.headers.get("x-amzn-requestid"), "fixed-request-id-1");
  assert.equal(event.headers.get("x-request-id"), "fixed-request-id-1");

  const missing = await post("/2015-03-31/functions/nope/invocations", bearer());
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get("x-amzn-errortype"), "ResourceNotFoundException");
  assert.equal(missing.headers.get("x-amzn-requestid"), "fixed-request-id-1");

  const capped = await post("/2015-03-31/functions/capped/invocations", bearer());
  assert.equal(capped.status, 429);
  assert.equal(capped.headers.get("x-amzn-errortype"), "TooManyRequestsException");
  assert.equal(capped.headers.get("x-amz-executed-version"), "1");
  assert.equal(capped.headers.get("x-request-id"), null, "an answered outcome, not a thrown error");

  // Issue 14: a name whose second decode fails is the caller's mistake (400), no longer a 500.
  const badPercent = await post("/2015-03-31/functions/o%zz/invocations", bearer());
  assert.equal(badPercent.status, 400);
  assert.equal(badPercent.headers.get("x-amzn-errortype"), "InvalidParameterValueException");
  assert.match(JSON.parse(badPercent.text).message, /not valid percent-encoding/);
});

test("Lambda path: the 6 MB limit comes before authentication, whether the length is declared or streamed", async () => {
  const big = JSON.stringify({ s: "x".repeat(6 * 1024 * 1024) });
  const declared = await post("/2015-03-31/functions/ok/invocations", {}, big);
  assert.equal(declared.status, 413);
  assert.equal(declared.headers.get("x-amzn-errortype"), "RequestTooLargeException");
  assert.match(JSON.parse(declared.text).message, /^The event exceeds the 6291456 byte \(6 MB\) limit/);
  const stream = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode(big));
      c.close();
    },
  });
  const res = await fetch(`${p.url}/2015-03-31/functions/ok/invocations`, { method: "POST", body: stream, duplex: "half" } as RequestInit);
  assert.equal(res.status, 413);
  assert.equal(res.headers.get("x-amzn-errortype"), "RequestTooLargeException");
});

test("Lambda path: SigV4 and the event share one read of the body; DryRun resolves without running", async () => {
  const [, id, secret] = /^hs_([a-z0-9]+)_(.+)$/.exec(p.key)!;
  const url = new URL(p.url);
  const path = "/2015-03-31/functions/ok/invocations";
  const body = '{"signed":true}';
  const signed = await signWithSmithy({ accessKeyId: `hs_${id}`, secretAccessKey: secret!, path, query: { Qualifier: "$LATEST" }, body, headers: { host: url.host } });
  const headers = Object.fromEntries(signed.headers.entries());
  delete headers["content-length"];
  const r = await post(`${path}?${signed.query}`, headers, body);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(JSON.parse(r.text).echo, { signed: true });
  assert.equal(r.headers.get("x-amz-executed-version"), "1");
  assert.equal(r.headers.get("x-amzn-requestid"), "fixed-request-id-1");

  const dry = await post(path, { ...bearer(), "x-amz-invocation-type": "DryRun" }, "{not json");
  assert.equal(dry.status, 204);
  assert.equal(dry.headers.get("x-amz-executed-version"), "1");
});
