import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isApiError } from "../../../protocol/errors.ts";
import { KeyResolver, newApiKeyRecord } from "./key-store.ts";
import { MemoryApiKeyStore } from "../../../tests/support/memory-key-store.ts";
import { authenticate, authorizeRoutes, rawPathAndQuery, type AuthEnv } from "./middleware.ts";
import { apiKeyAuthenticator as bearerAuthenticator, verifyBearer, verifyBearerCached } from "./api-key-authenticator.ts";
import { authenticateNow, type Authenticator } from "./authentication.ts";
import { sigV4Authenticator } from "./sigv4-authenticator.ts";
import type { CredentialRequest } from "./credentials.ts";
import { SecretBox } from "./secret-box.ts";
import { signWithSmithy } from "../../../tests/support/sigv4-signer.ts";

const SECRET = "Mw9Mw9Mw9Mw9Mw9Mw9Mw9Mw9Mw9Mw9Mw9Mw9Mw9M";
const KEY = `hs_abcd1234_${SECRET}`;
const VIEWER_KEY = `hs_view1234_${SECRET}`;
const INVOKE = "/2015-03-31/functions/hello/invocations";
const ADMIN_BEARER = { subject: "key:abcd1234", keyId: "abcd1234", method: "bearer", roles: ["admin"] };

async function setup(opts: { authenticators?: (r: KeyResolver) => Authenticator[] } = {}) {
  const box = new SecretBox(randomBytes(32));
  const store = new MemoryApiKeyStore();
  await store.insert(newApiKeyRecord({ box, id: "abcd1234", secret: SECRET, name: "admin", role: "admin" }));
  await store.insert(newApiKeyRecord({ box, id: "view1234", secret: SECRET, name: "viewer", role: "viewer" }));
  const resolver = new KeyResolver({ store, box });
  const authenticators = opts.authenticators?.(resolver) ?? [bearerAuthenticator(resolver), sigV4Authenticator(resolver)];
  const app = new Hono<AuthEnv>();
  app.onError((err, c) =>
    isApiError(err)
      ? c.json(err.toJSON(), err.status as ContentfulStatusCode)
      : c.json({ error: { code: "InternalError", message: "Internal error" } }, 500),
  );
  app.use("*", authenticate({ authenticators }));
  app.get("/health", (c) => c.json({ ok: true }));
  app.get("/docs/ui", (c) => c.text("docs"));
  app.get("/api/v1/whoami", (c) => c.json(c.get("principal")));
  app.delete("/api/v1/functions/:name", authorizeRoutes(), (c) => c.json({ deleted: true }));
  app.post("/2015-03-31/functions/:name/invocations", async (c) => {
    // Reading the body again after the SigV4 authenticator consumed it: Hono's cache serves it.
    const json = await c.req.json();
    const text = await c.req.text();
    const bytes = (await c.req.arrayBuffer()).byteLength;
    return c.json({ principal: c.get("principal"), json, text, bytes, qualifier: c.req.query("Qualifier") });
  });
  return { app, store, resolver };
}

/** A request view with just an Authorization header. */
function headerOnly(authorization: string): CredentialRequest {
  return {
    method: "POST",
    path: "/api/v1/functions/f/invoke",
    rawPath: "/api/v1/functions/f/invoke",
    rawQuery: "",
    header: (n) => (n === "authorization" ? authorization : undefined),
    get: (n) => (n === "authorization" ? authorization : null),
    body: async () => new Uint8Array(),
  };
}

async function signedInvoke(over: { secretAccessKey?: string; accessKeyId?: string; body?: string; path?: string } = {}) {
  const body = over.body ?? '{"n":1}';
  const path = over.path ?? INVOKE;
  const req = await signWithSmithy({
    accessKeyId: over.accessKeyId ?? "hs_abcd1234",
    secretAccessKey: over.secretAccessKey ?? SECRET,
    path,
    query: { Qualifier: "live" },
    body,
    headers: { host: "localhost" },
  });
  return new Request(`http://localhost${path}?${req.query}`, { method: "POST", headers: req.headers, body });
}

async function errorOf(res: Response) {
  const body = await res.text();
  assert.ok(!body.includes(SECRET), "response leaks the secret");
  return (JSON.parse(body) as { error: { code: string; message: string } }).error;
}

describe("authenticate", () => {
  it("lets public paths through without credentials", async () => {
    const { app } = await setup();
    assert.equal((await app.request("/health")).status, 200);
    assert.equal((await app.request("/docs/ui")).status, 200);
  });

  it("answers 401 Unauthorized saying how to authenticate when credentials are missing", async () => {
    const { app } = await setup();
    const res = await app.request("/api/v1/whoami");
    assert.equal(res.status, 401);
    const err = await errorOf(res);
    assert.equal(err.code, "Unauthorized");
    assert.match(err.message, /Send "Authorization: Bearer hs_<id>_<secret>"/);
  });

  it("mentions SigV4 in the 401 on the Lambda-compatible path", async () => {
    const { app } = await setup();
    const err = await errorOf(await app.request(INVOKE, { method: "POST" }));
    assert.match(err.message, /Bearer.*SigV4/);
  });

  it("accepts a Bearer key and sets the principal", async () => {
    const { app } = await setup();
    const res = await app.request("/api/v1/whoami", { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), ADMIN_BEARER);
  });

  it("rejects a wrong secret, a malformed key and a revoked key with 401, never echoing the token", async () => {
    const { app, store, resolver } = await setup();
    const wrong = `hs_abcd1234_${"X".repeat(40)}`;
    let res = await app.request("/api/v1/whoami", { headers: { authorization: `Bearer ${wrong}` } });
    assert.equal(res.status, 401);
    assert.match((await errorOf(res)).message, /Invalid or revoked API key/);

    res = await app.request("/api/v1/whoami", { headers: { authorization: `Bearer ${SECRET}` } });
    assert.equal(res.status, 401);
    assert.match((await errorOf(res)).message, /Malformed API key/);

    store.revoke("abcd1234");
    resolver.invalidate("abcd1234");
    res = await app.request("/api/v1/whoami", { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 401);
    await errorOf(res);
  });

  it("rejects other schemes with 401 naming the Bearer form", async () => {
    const { app } = await setup();
    const res = await app.request("/api/v1/whoami", { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    assert.equal(res.status, 401);
    assert.match((await errorOf(res)).message, /Unsupported Authorization scheme.*Bearer/);
  });

  it("accepts SigV4 on the Lambda path, and the handler can still read the body", async () => {
    const { app } = await setup();
    const res = await app.request(await signedInvoke());
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), {
      principal: { subject: "key:abcd1234", keyId: "abcd1234", method: "sigv4", roles: ["admin"] },
      json: { n: 1 },
      text: '{"n":1}',
      bytes: 7,
      qualifier: "live",
    });
  });

  it("rejects a SigV4 request signed with the wrong secret with 403 InvalidSignature", async () => {
    const { app } = await setup();
    const res = await app.request(await signedInvoke({ secretAccessKey: "W".repeat(40) }));
    assert.equal(res.status, 403);
    assert.equal((await errorOf(res)).code, "InvalidSignature");
  });

  it("does not accept SigV4 outside the Lambda path", async () => {
    const { app } = await setup();
    const signed = await signedInvoke();
    const res = await app.request("/api/v1/whoami", { headers: signed.headers });
    assert.equal(res.status, 401);
    assert.match((await errorOf(res)).message, /SigV4 is accepted only on the Lambda-compatible API/);
  });

  it("accepts Bearer on the Lambda path too", async () => {
    const { app } = await setup();
    const res = await app.request(`${INVOKE}?Qualifier=live`, { method: "POST", headers: { authorization: `Bearer ${KEY}` }, body: "{}" });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { principal: { method: string } }).principal.method, "bearer");
  });

  it("tries authenticators in order and the first principal wins", async () => {
    const calls: string[] = [];
    const skip: Authenticator = async () => (calls.push("skip"), null);
    const fixed: Authenticator = async () => (calls.push("fixed"), { subject: "jwt:user", method: "jwt", roles: ["viewer"] });
    const { app } = await setup({ authenticators: (r) => [skip, fixed, bearerAuthenticator(r)] });
    const res = await app.request("/api/v1/whoami", { headers: { authorization: `Bearer ${KEY}` } });
    assert.deepEqual(await res.json(), { subject: "jwt:user", method: "jwt", roles: ["viewer"] });
    assert.deepEqual(calls, ["skip", "fixed"]);
  });

  it("looks keys up in the store once per TTL and touches them at most once per interval", async () => {
    const { app, store } = await setup();
    for (let i = 0; i < 5; i++) {
      assert.equal((await app.request("/api/v1/whoami", { headers: { authorization: `Bearer ${KEY}` } })).status, 200);
    }
    assert.equal(store.gets, 1);
    assert.deepEqual(store.touched, ["abcd1234"]);
  });
});

describe("authorizeRoutes", () => {
  it("lets a principal with the route's permission through and answers 403 Forbidden naming the missing one otherwise", async () => {
    const { app } = await setup();
    const ok = await app.request("/api/v1/functions/x", { method: "DELETE", headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(ok.status, 200);
    const no = await app.request("/api/v1/functions/x", { method: "DELETE", headers: { authorization: `Bearer ${VIEWER_KEY}` } });
    assert.equal(no.status, 403);
    const err = await errorOf(no);
    assert.equal(err.code, "Forbidden");
    assert.match(err.message, /needs permission "functions:write".*"view1234" has role "viewer"/);
  });
});

describe("rawPathAndQuery", () => {
  it("keeps percent-encoding and splits off the query and fragment", () => {
    assert.deepEqual(rawPathAndQuery("http://h:1/a/my%20fn/b?Qualifier=%24LATEST&x=1#f"), { path: "/a/my%20fn/b", query: "Qualifier=%24LATEST&x=1" });
    assert.deepEqual(rawPathAndQuery("http://h/p"), { path: "/p", query: "" });
    assert.deepEqual(rawPathAndQuery("http://h"), { path: "/", query: "" });
  });
});

describe("verifyBearerCached (the invoke fast path's check)", () => {
  it("defers to verifyBearer until a key is cached, then answers alike without waiting", async () => {
    const box = new SecretBox(randomBytes(32));
    const store = new MemoryApiKeyStore();
    await store.insert(newApiKeyRecord({ box, id: "abcd1234", secret: SECRET, name: "admin", role: "admin" }));
    const resolver = new KeyResolver({ store, box });
    assert.equal(verifyBearerCached(resolver, `Bearer ${KEY}`), undefined, "nothing cached yet");
    assert.deepEqual(await verifyBearer(resolver, `Bearer ${KEY}`), ADMIN_BEARER);
    for (const header of [`Bearer ${KEY}`, `bearer ${KEY}`, `Bearer \t ${KEY}  `]) {
      assert.deepEqual(verifyBearerCached(resolver, header), ADMIN_BEARER, header);
    }
    const wrong = `Bearer hs_abcd1234_${SECRET.slice(0, -1)}X`;
    assert.throws(() => verifyBearerCached(resolver, wrong), (e: unknown) => isApiError(e) && e.code === "Unauthorized");
    for (const junk of ["Bearer \u00a0", "Bearer \u00a0\u00a0", "Bearer x"]) {
      // Not an API key's shape: the API-key authenticator declines it (a JWT authenticator could
      // take it next), and with no other authenticator the chain refuses it as a malformed key.
      assert.equal(verifyBearerCached(resolver, junk), null, JSON.stringify(junk));
      assert.throws(
        () => authenticateNow([bearerAuthenticator(resolver)], headerOnly(junk)),
        (e: unknown) => isApiError(e) && e.code === "Unauthorized" && /^Malformed API key/.test(e.message),
        JSON.stringify(junk),
      );
    }
    assert.equal(verifyBearerCached(resolver, "Basic abc"), null, "not a Bearer header");
  });
});
