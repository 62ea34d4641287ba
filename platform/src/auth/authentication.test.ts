import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { isApiError } from "../../../protocol/errors.ts";
import { apiKeyAuthenticator } from "./api-key-authenticator.ts";
import { authenticateNow, type Authenticator } from "./authentication.ts";
import type { CredentialRequest } from "./credentials.ts";
import { KeyResolver, newApiKeyRecord } from "./key-store.ts";
import { MemoryApiKeyStore } from "../../../tests/support/memory-key-store.ts";
import type { Principal } from "./principal.ts";
import { SecretBox } from "./secret-box.ts";

const SECRET = "Mw9Mw9Mw9Mw9Mw9Mw9Mw9Mw9Mw9Mw9Mw9Mw9Mw9M";
const KEY = `hs_abcd1234_${SECRET}`;
const JWT_USER: Principal = { subject: "jwt:alice", method: "jwt", roles: ["viewer"] };

function request(authorization: string | undefined, path = "/api/v1/functions"): CredentialRequest {
  return {
    method: "GET",
    path,
    rawPath: path,
    rawQuery: "",
    header: (n) => (n === "authorization" ? authorization : undefined),
    get: (n) => (n === "authorization" ? (authorization ?? null) : null),
    body: async () => new Uint8Array(),
  };
}

async function resolver() {
  const box = new SecretBox(randomBytes(32));
  const store = new MemoryApiKeyStore();
  await store.insert(newApiKeyRecord({ box, id: "abcd1234", secret: SECRET, name: "admin", role: "admin" }));
  return new KeyResolver({ store, box });
}

/** A stand-in JWT authenticator: claims Bearer tokens with three dot-separated parts. */
const jwt: Authenticator = (req) => (/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(req.header("authorization") ?? "") ? JWT_USER : null);

async function outcome(authenticators: Authenticator[], req: CredentialRequest): Promise<Principal | string> {
  try {
    return await authenticateNow(authenticators, req);
  } catch (e) {
    assert.ok(isApiError(e));
    return `${e.status} ${e.code}: ${e.message}`;
  }
}

describe("authenticators that may decline", () => {
  it("the API-key authenticator declines a Bearer token that is not hs_<id>_<secret>, so one after it is reached", async () => {
    const r = await resolver();
    assert.deepEqual(await outcome([apiKeyAuthenticator(r), jwt], request("Bearer aaa.bbb.ccc")), JWT_USER);
    const key = await outcome([apiKeyAuthenticator(r), jwt], request(`Bearer ${KEY}`));
    assert.equal((key as Principal).keyId, "abcd1234");
  });

  it("answers the cached API key synchronously, without a promise", async () => {
    const r = await resolver();
    await authenticateNow([apiKeyAuthenticator(r)], request(`Bearer ${KEY}`)); // first use: looked up
    const again = authenticateNow([apiKeyAuthenticator(r)], request(`Bearer ${KEY}`));
    assert.ok(!(again instanceof Promise));
    assert.deepEqual(again, { subject: "key:abcd1234", keyId: "abcd1234", method: "bearer", roles: ["admin"] });
  });

  it("when every authenticator declines, keeps today's messages", async () => {
    const r = await resolver();
    const hint = 'Send "Authorization: Bearer hs_<id>_<secret>" with an API key';
    const cases: Array<[string | undefined, string, string]> = [
      ["Bearer foo", "/api/v1/functions", `401 Unauthorized: Malformed API key: expected hs_<id>_<secret>. ${hint}`],
      ["Bearer foo", "/2015-03-31/functions/f/invocations", `401 Unauthorized: Malformed API key: expected hs_<id>_<secret>. ${hint}`],
      [undefined, "/api/v1/functions", `401 Unauthorized: Missing credentials. ${hint}`],
      ["Basic abc", "/api/v1/functions", `401 Unauthorized: Unsupported Authorization scheme. ${hint}`],
      ["AWS4-HMAC-SHA256 Credential=x", "/api/v1/functions", `401 Unauthorized: AWS SigV4 is accepted only on the Lambda-compatible API (/2015-03-31/...). ${hint}`],
      [
        undefined,
        "/2015-03-31/functions/f/invocations",
        `401 Unauthorized: Missing credentials. ${hint}, or sign the request with AWS SigV4 (access key id "hs_<id>", secret access key "<secret>")`,
      ],
    ];
    for (const [header, path, expected] of cases) assert.equal(await outcome([apiKeyAuthenticator(r)], request(header, path)), expected, `${header} ${path}`);
  });

  it("an API key of the right shape but wrong is refused by its authenticator, not passed on", async () => {
    const r = await resolver();
    const got = await outcome([apiKeyAuthenticator(r), jwt], request(`Bearer hs_abcd1234_${"X".repeat(40)}`));
    assert.match(got as string, /^401 Unauthorized: Invalid or revoked API key/);
  });
});
