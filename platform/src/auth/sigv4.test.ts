import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiError } from "../../../protocol/errors.ts";
import { canonicalPath, canonicalQuery, verifySigV4 } from "./sigv4.ts";
import { signWithSmithy, type SignedRequest, type SignOptions } from "../../../tests/support/sigv4-signer.ts";

const ACCESS_KEY_ID = "hs_abcd1234";
const SECRET = "Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3A";
const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const INVOKE = "/2015-03-31/functions/hello/invocations";

const getSecret = async (id: string) => (id === ACCESS_KEY_ID ? SECRET : null);

function sign(over: Partial<SignOptions> = {}): Promise<SignedRequest> {
  return signWithSmithy({
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET,
    path: INVOKE,
    query: { Qualifier: "live" },
    body: '{"hello":"world"}',
    signingDate: new Date(NOW),
    ...over,
  });
}

function withAuthorization(req: SignedRequest, f: (auth: string) => string): SignedRequest {
  const headers = new Headers(req.headers);
  headers.set("authorization", f(headers.get("authorization")!));
  return { ...req, headers };
}

/** Asserts an ApiError with this code, whose message matches and never contains the secret. */
function rejectsWith(p: Promise<unknown>, code: string, message: RegExp) {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    assert.ok(!JSON.stringify(e.toJSON()).includes(SECRET), "error leaks the secret");
    return true;
  });
}

describe("verifySigV4 against @smithy/signature-v4", () => {
  it("accepts a valid signature and returns the access key id and region", async () => {
    assert.deepEqual(await verifySigV4(await sign(), getSecret, NOW), { accessKeyId: ACCESS_KEY_ID, region: "us-east-1" });
  });

  it("accepts any region in the credential scope", async () => {
    const req = await sign({ region: "eu-west-3" });
    assert.equal((await verifySigV4(req, getSecret, NOW)).region, "eu-west-3");
  });

  it("accepts function names and qualifiers that need encoding", async () => {
    for (const [path, query] of [
      ["/2015-03-31/functions/my-fn/invocations", { Qualifier: "live" }],
      ["/2015-03-31/functions/fn_1/invocations", { Qualifier: "7" }],
      ["/2015-03-31/functions/hello/invocations", { Qualifier: "$LATEST" }],
      // FunctionName as an ARN: the SDK sends the colons percent-encoded, and they are encoded again to sign.
      [`/2015-03-31/functions/${encodeURIComponent("arn:aws:lambda:us-east-1:123456789012:function:hello")}/invocations`, {}],
      ["/2015-03-31/functions/my%20fn/invocations", { "a b": "c d", z: ["2", "1"], A: "x*y(z)!'" }],
    ] as const) {
      const req = await sign({ path, query: query as Record<string, string | string[]> });
      assert.equal((await verifySigV4(req, getSecret, NOW)).accessKeyId, ACCESS_KEY_ID, `${path} ${JSON.stringify(query)}`);
    }
  });

  it("accepts a body without x-amz-content-sha256 by hashing it", async () => {
    const req = await sign({ applyChecksum: false });
    assert.equal(req.headers.get("x-amz-content-sha256"), null);
    assert.equal((await verifySigV4(req, getSecret, NOW)).accessKeyId, ACCESS_KEY_ID);
  });

  it("accepts an empty body and a GET", async () => {
    const req = await sign({ method: "GET", body: "", query: {} });
    assert.equal((await verifySigV4(req, getSecret, NOW)).accessKeyId, ACCESS_KEY_ID);
  });

  it("collapses runs of whitespace in signed header values as the signer does", async () => {
    const req = await sign({ headers: { "x-custom": "a    b\t c" } });
    assert.equal(req.headers.get("x-custom"), "a    b\t c");
    assert.equal((await verifySigV4(req, getSecret, NOW)).accessKeyId, ACCESS_KEY_ID);
  });

  it("rejects a tampered body with 403 naming the body hash", async () => {
    const req = await sign();
    await rejectsWith(verifySigV4({ ...req, body: new TextEncoder().encode('{"hello":"mallory"}') }, getSecret, NOW), "InvalidSignature", /body does not match/);
  });

  it("rejects a tampered body with 403 when no content hash header was sent", async () => {
    const req = await sign({ applyChecksum: false });
    await rejectsWith(verifySigV4({ ...req, body: new TextEncoder().encode("{}") }, getSecret, NOW), "InvalidSignature", /signature does not match/);
  });

  it("rejects a tampered path with 403", async () => {
    const req = await sign();
    await rejectsWith(
      verifySigV4({ ...req, path: "/2015-03-31/functions/other/invocations" }, getSecret, NOW),
      "InvalidSignature",
      /signature does not match.*path/,
    );
  });

  it("rejects a tampered query with 403", async () => {
    const req = await sign();
    await rejectsWith(verifySigV4({ ...req, query: "Qualifier=canary" }, getSecret, NOW), "InvalidSignature", /signature does not match/);
  });

  it("rejects a tampered signed header with 403", async () => {
    const req = await sign({ headers: { "x-amz-invocation-type": "RequestResponse" } });
    req.headers.set("x-amz-invocation-type", "Event");
    await rejectsWith(verifySigV4(req, getSecret, NOW), "InvalidSignature", /signature does not match/);
  });

  it("returns the canonical request and string to sign on a mismatch, like AWS", async () => {
    const req = await sign({ secretAccessKey: "W".repeat(40) });
    await assert.rejects(verifySigV4(req, getSecret, NOW), (e: ApiError) => {
      assert.equal(e.status, 403);
      const d = e.details as { canonicalRequest: string; stringToSign: string };
      assert.match(d.canonicalRequest, /^POST\n\/2015-03-31\/functions\/hello\/invocations\nQualifier=live\n/);
      assert.match(d.stringToSign, /^AWS4-HMAC-SHA256\n20240501T120000Z\n20240501\/us-east-1\/lambda\/aws4_request\n[0-9a-f]{64}$/);
      return true;
    });
  });

  it("rejects a signature made with the wrong secret with 403", async () => {
    const req = await sign({ secretAccessKey: "W".repeat(40) });
    await rejectsWith(verifySigV4(req, getSecret, NOW), "InvalidSignature", /secret access key/);
  });

  it("rejects an unknown access key id with 401", async () => {
    const req = await sign({ accessKeyId: "hs_zzzz9999" });
    await rejectsWith(verifySigV4(req, getSecret, NOW), "Unauthorized", /Unknown or revoked access key id "hs_zzzz9999"/);
  });

  it("does not echo a whole API key used by mistake as the access key id", async () => {
    const req = await sign({ accessKeyId: `hs_abcd1234_${SECRET}` });
    await rejectsWith(verifySigV4(req, getSecret, NOW), "Unauthorized", /looks like a whole API key/);
  });

  it("rejects a request more than 15 minutes old or ahead with 403 about clock skew", async () => {
    const req = await sign();
    for (const skew of [15 * 60_000 + 1000, -(15 * 60_000 + 1000)]) {
      await rejectsWith(verifySigV4(req, getSecret, NOW + skew), "InvalidSignature", /more than 15 minutes.*clock skew/);
    }
    assert.ok(await verifySigV4(req, getSecret, NOW + 14 * 60_000));
    assert.ok(await verifySigV4(req, getSecret, NOW - 14 * 60_000));
  });

  it("rejects a scope for another service with 403", async () => {
    const req = await sign({ service: "s3" });
    await rejectsWith(verifySigV4(req, getSecret, NOW), "InvalidSignature", /service "s3".*"lambda"/);
  });

  it("rejects a scope date that differs from X-Amz-Date", async () => {
    const req = withAuthorization(await sign(), (a) => a.replace("/20240501/", "/20240502/"));
    await rejectsWith(verifySigV4(req, getSecret, NOW), "InvalidSignature", /scope date 20240502 does not match/);
  });

  it("requires host and x-amz-date to be signed", async () => {
    const noHost = await sign();
    const unsignedHost = withAuthorization(noHost, (a) => a.replace("host;", ""));
    await rejectsWith(verifySigV4(unsignedHost, getSecret, NOW), "InvalidSignature", /"host" header must be signed/);
    const unsignedDate = withAuthorization(noHost, (a) => a.replace(";x-amz-date", ""));
    await rejectsWith(verifySigV4(unsignedDate, getSecret, NOW), "InvalidSignature", /"x-amz-date" header must be signed/);
  });

  it("rejects a signed header that is missing from the request", async () => {
    const req = await sign({ headers: { "x-amz-invocation-type": "Event" } });
    req.headers.delete("x-amz-invocation-type");
    await rejectsWith(verifySigV4(req, getSecret, NOW), "InvalidSignature", /Signed header "x-amz-invocation-type" is missing/);
  });

  it("rejects unsigned and streaming payloads", async () => {
    for (const v of ["UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"]) {
      const req = await sign({ headers: { "x-amz-content-sha256": v } });
      await rejectsWith(verifySigV4(req, getSecret, NOW), "InvalidSignature", /body must be signed/);
    }
  });

  it("answers 401 for a missing or malformed Authorization header or date", async () => {
    const req = await sign();
    const without = new Headers(req.headers);
    without.delete("authorization");
    await rejectsWith(verifySigV4({ ...req, headers: without }, getSecret, NOW), "Unauthorized", /Missing AWS SigV4/);
    for (const [f, msg] of [
      [(a: string) => a.replace(/Signature=[0-9a-f]+/, "Signature=xyz"), /Signature must be 64/],
      [(a: string) => a.replace(/, SignedHeaders=[^,]+/, ""), /missing SignedHeaders/],
      [(a: string) => a.replace("/aws4_request", ""), /Credential must be/],
    ] as const) {
      await rejectsWith(verifySigV4(withAuthorization(req, f), getSecret, NOW), "Unauthorized", msg);
    }
    const badDate = new Headers(req.headers);
    badDate.set("x-amz-date", "2024-05-01T12:00:00Z");
    await rejectsWith(verifySigV4({ ...req, headers: badDate }, getSecret, NOW), "Unauthorized", /Malformed X-Amz-Date/);
  });
});

describe("canonicalPath", () => {
  it("removes dot and empty segments and encodes the path a second time", () => {
    assert.equal(canonicalPath("/"), "/");
    assert.equal(canonicalPath("/a/./b/../c//d/"), "/a/c/d/");
    assert.equal(canonicalPath("/functions/my%20fn/invocations"), "/functions/my%2520fn/invocations");
    assert.equal(canonicalPath("/functions/fn_1-x.y~z/"), "/functions/fn_1-x.y~z/");
    assert.equal(canonicalPath("/a$b*c"), "/a%24b%2Ac");
  });
});

describe("canonicalQuery", () => {
  it("sorts by encoded name then value and encodes per RFC 3986", () => {
    assert.equal(canonicalQuery("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
    assert.equal(canonicalQuery("Qualifier=%24LATEST"), "Qualifier=%24LATEST");
    assert.equal(canonicalQuery("q=a%20b&r=x*y"), "q=a%20b&r=x%2Ay");
    assert.equal(canonicalQuery(new URLSearchParams({ Qualifier: "$LATEST", A: "1" })), "A=1&Qualifier=%24LATEST");
    assert.equal(canonicalQuery(""), "");
    assert.equal(canonicalQuery("X-Amz-Signature=abc&a=1"), "a=1");
  });
});

describe("verifySigV4 body reading", () => {
  it("reads a lazy body only after the credentials checked out", async () => {
    const req = await sign();
    const bytes = req.body as Uint8Array;
    let reads = 0;
    const lazy = async () => (reads++, bytes);
    await rejectsWith(verifySigV4({ ...req, body: lazy }, async () => null, NOW), "Unauthorized", /Unknown or revoked/);
    await rejectsWith(verifySigV4({ ...req, body: lazy }, getSecret, NOW + 3_600_000), "InvalidSignature", /clock skew/);
    assert.equal(reads, 0);
    assert.equal((await verifySigV4({ ...req, body: lazy }, getSecret, NOW)).accessKeyId, ACCESS_KEY_ID);
    assert.equal(reads, 1);
  });
});
