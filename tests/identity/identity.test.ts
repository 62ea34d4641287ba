/**
 * Identity end to end on a real platform (Postgres, Redis, S3 when available; embedded otherwise):
 * the keys API (secret shown once, never listed, audited with its actor), roles and function scopes
 * across the API, the invoke and Lambda paths and SigV4 (the stock @aws-sdk/client-lambda), key
 * rotation, revocation and expiry, JWT bearer tokens (HS256 and RS256 through a local JWKS server)
 * with their precise 401s, and Http triggers with `auth: "jwt"` handing the claims to the function.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe } from "node:test";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { createApiClient, type ApiClient } from "../../client/index.ts";
import { createRepositories, openDatabase } from "../../platform/src/db/index.ts";
import { apiOf, deployFunction, expectOk, nodeCode } from "../support/deploy.ts";
import { it, serversSkipReason, SkipError, startPlatform, type TestPlatform } from "../support/platform.ts";
import { waitFor } from "../support/wait-for.ts";
import { createTrigger, ECHO_SOURCE, send } from "../triggers/support.ts";
import { functionProvider } from "../../infra/sdk/function-provider.ts";
import { codeDir, functionInputs, nodeHandler } from "../sdk/support/sdk.ts";

const JWT_SECRET = "identity-test-secret-of-32-bytes-or-more";
const AUDIENCE = "hotswap-test";
const ECHO = nodeCode("exports.handler = async (event) => ({ echoed: event });");

const hs256 = (claims: JWTPayload, exp: number | string = "10m", secret = JWT_SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));

function failed(r: { ok: boolean; error?: { status: number; code: string; message: string } }) {
  if (r.ok) assert.fail("expected a failure");
  return r.error!;
}

describe("identity: keys, roles, scopes, JWT", () => {
  let platform: TestPlatform | undefined;
  let skip: string | undefined;
  let admin: ApiClient;
  // Every test needs Postgres and Redis (the audit rows are read from Postgres beside the server).
  const need = () => {
    if (skip) throw new SkipError(skip);
    return platform!;
  };
  let p: TestPlatform;
  let jwks: Server;
  const rsa = generateKeyPair("RS256");
  const client = (bearer: string) => createApiClient({ baseUrl: p.url, apiKey: bearer, timeoutMs: 60_000 });

  before(async () => {
    const { publicKey } = await rsa;
    const jwk = { ...(await exportJWK(publicKey)), kid: "idp-1", alg: "RS256", use: "sig" };
    jwks = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwks.listen(0, "127.0.0.1", r));
    skip = await serversSkipReason();
    if (skip) return;
    p = platform = await startPlatform("servers", {
      HOTSWAP_JWT_SECRET: JWT_SECRET,
      HOTSWAP_JWT_AUDIENCE: AUDIENCE,
      HOTSWAP_JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks`,
    });
    admin = apiOf(p);
    for (const name of ["orders-1", "billing"]) await deployFunction(p, { name, code: ECHO });
  });
  after(async () => {
    await platform?.close();
    await new Promise<void>((r) => jwks?.close(() => r()));
  });

  it("creates a key whose secret is shown once, never listed, and audited with the admin as actor", async () => {
    need();
    const created = expectOk(await admin.keys.create({ name: "ci", role: "deployer", functions: ["orders-*"], rateLimit: { rps: 5, burst: 10 } }), "create", 201);
    assert.match(created.key, new RegExp(`^hs_${created.id}_[A-Za-z0-9]{40}$`));
    assert.equal(created.accessKeyId, `hs_${created.id}`);
    assert.deepEqual(created.functions, ["orders-*"]);
    assert.equal(created.createdBy, `key:${p.key.split("_")[1]}`);
    const secret = created.key.split("_")[2]!;
    const listed = await p.api("GET", "/api/v1/keys");
    assert.equal(listed.status, 200);
    assert.ok(!listed.text.includes(secret), "the list never carries a secret");
    assert.ok(listed.json.keys.some((k: { id: string }) => k.id === created.id));
    const one = await p.api("GET", `/api/v1/keys/${created.id}`);
    assert.ok(!one.text.includes(secret) && !("key" in one.json));
    assert.equal(failed(await admin.keys.get("nosuchkey")).code, "KeyNotFound");
    const bad = failed(await admin.keys.create({ name: "x", role: "viewer", canApprove: true }));
    assert.equal(bad.code, "ValidationError");
    assert.match(bad.message, /canApprove is for deployer keys/);
    assert.equal(failed(await admin.keys.create({ name: "x", role: "deployer", expiresAt: "2001-01-01T00:00:00Z" })).code, "ValidationError");
    const db = await openDatabase({ kind: "postgres", url: p.env!.DATABASE_URL! });
    {
      try {
        const rows = await createRepositories(db.db).auditLogs.list({ resourceType: "api_key", resourceId: created.id });
        assert.equal(rows[0]?.action, "key.create");
        assert.equal(rows[0]?.actor, `key:${p.key.split("_")[1]}`);
        assert.ok(!JSON.stringify(rows).includes(secret), "the audit row carries no secret");
      } finally {
        await db.close();
      }
    }
  });

  it("an admin key scoped to some functions can only mint keys inside its scope", async () => {
    need();
    const scopedAdmin = client(expectOk(await admin.keys.create({ name: "orders-admin", role: "admin", functions: ["orders-*"] }), "create", 201).key);
    const wide = failed(await scopedAdmin.keys.create({ name: "escape", role: "deployer" }));
    assert.equal(wide.status, 403);
    assert.match(wide.message, /A key for every function reaches outside your scope/);
    assert.equal(failed(await scopedAdmin.keys.create({ name: "escape", role: "deployer", functions: ["*"] })).status, 403);
    assert.equal(failed(await scopedAdmin.keys.create({ name: "escape", role: "deployer", functions: ["billing"] })).status, 403);
    const inside = expectOk(await scopedAdmin.keys.create({ name: "narrow", role: "invoker", functions: ["orders-1", "orders-*"] }), "inside the scope", 201);
    assert.deepEqual(inside.functions, ["orders-1", "orders-*"]);
  });

  it("a scoped deployer works inside its scope and gets 403 naming the scope outside it, lists hide the rest", async () => {
    need();
    const k = expectOk(await admin.keys.create({ name: "orders-deployer", role: "deployer", functions: ["orders-*"] }), "create", 201);
    const d = client(k.key);
    expectOk(await d.functions.get("orders-1"), "in scope");
    const out = failed(await d.functions.get("billing"));
    assert.equal(out.status, 403);
    assert.match(out.message, /on function "billing", which is outside the scope of API key ".+" \(functions \["orders-\*"\]\)/);
    const names = expectOk(await d.functions.list(), "list").functions.map((f) => f.name);
    assert.deepEqual(names, ["orders-1"]);
    assert.equal(failed(await d.functions.create({ name: "billing-2", runtime: "nodejs20", handler: "index.handler" })).status, 403);
    assert.equal((await p.api("POST", "/api/v1/functions/billing/invoke", {}, { authorization: `Bearer ${k.key}` })).status, 403);
    assert.equal((await p.api("POST", "/api/v1/functions/orders-1/invoke", { a: 1 }, { authorization: `Bearer ${k.key}` })).status, 200);
    const lambda = await p.api("POST", "/2015-03-31/functions/billing/invocations", {}, { authorization: `Bearer ${k.key}` });
    assert.equal(lambda.status, 403);
    assert.equal(failed(await d.triggers.create({ functionName: "billing", type: "Http", config: { methods: ["GET"], path: "/b" } })).status, 403);
    assert.equal(failed(await d.deployments.create({ functionName: "billing", alias: "live", version: 1, strategy: "Direct" })).status, 403);
    assert.equal((await p.api("GET", "/api/v1/functions/billing/logs", undefined, { authorization: `Bearer ${k.key}` })).status, 403);
    assert.equal((await p.api("GET", "/metrics", undefined, { authorization: `Bearer ${k.key}` })).status, 403);
    // A trigger an admin made on an out-of-scope function: invisible in lists, 403 by id.
    const t = await createTrigger(p, { functionName: "billing", type: "Http", config: { methods: ["GET"], path: "/billing-only" } });
    assert.ok(!expectOk(await d.triggers.list(), "triggers").triggers.some((x) => x.triggerId === t.triggerId));
    assert.equal(failed(await d.triggers.get(t.triggerId)).status, 403);
    assert.equal(failed(await d.triggers.delete(t.triggerId)).status, 403);
    // Destinations are invoked by the platform: naming an out-of-scope function is refused too.
    const auth = { authorization: `Bearer ${k.key}` };
    const toBilling = await p.api("PUT", "/api/v1/functions/orders-1/event-invoke-config", { destinationConfig: { onFailure: { destination: "function:billing" } } }, auth);
    assert.equal(toBilling.status, 403, toBilling.text);
    assert.match(toBilling.json.error.message, /"functions:invoke" on function "billing"/);
    assert.equal((await p.api("PUT", "/api/v1/functions/orders-1/event-invoke-config", { destinationConfig: { onFailure: { destination: "function:orders-1" } } }, auth)).status, 200);
    // Keys are admin business.
    const keys = failed(await d.keys.list());
    assert.equal(keys.status, 403);
    assert.match(keys.message, /needs permission "keys:read"/);
  });

  it("SigV4 with a scoped invoker key: the stock Lambda client invokes inside the scope and gets 403 outside", async () => {
    need();
    const k = expectOk(await admin.keys.create({ name: "sdk", role: "invoker", functions: ["orders-*"] }), "create", 201);
    const [, id, secret] = k.key.split("_");
    const lambda = new LambdaClient({ endpoint: p.url, region: "us-east-1", credentials: { accessKeyId: `hs_${id}`, secretAccessKey: secret! }, maxAttempts: 1 });
    try {
      const ok = await lambda.send(new InvokeCommand({ FunctionName: "orders-1", Payload: Buffer.from('{"via":"sdk"}') }));
      assert.equal(ok.StatusCode, 200);
      assert.deepEqual(JSON.parse(Buffer.from(ok.Payload!).toString()), { echoed: { via: "sdk" } });
      await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: "billing", Payload: Buffer.from("{}") })), (e: { $metadata?: { httpStatusCode?: number }; message?: string }) => {
        assert.equal(e.$metadata?.httpStatusCode, 403);
        assert.match(String(e.message), /outside the scope/);
        return true;
      });
    } finally {
      lambda.destroy();
    }
    // An invoker only invokes.
    const reads = failed(await client(k.key).functions.get("orders-1"));
    assert.equal(reads.status, 403);
    assert.match(reads.message, /needs permission "functions:read"; API key ".+" has role "invoker"/);
  });

  it("rotation refuses the old secret at once, revocation the key, and an expired key is refused at its expiry", async () => {
    need();
    const k = expectOk(await admin.keys.create({ name: "rotating", role: "viewer" }), "create", 201);
    expectOk(await client(k.key).functions.list(), "works before");
    const rotated = expectOk(await admin.keys.rotate(k.id), "rotate");
    assert.notEqual(rotated.key, k.key);
    assert.equal(rotated.id, k.id);
    assert.equal(failed(await client(k.key).functions.list()).status, 401);
    expectOk(await client(rotated.key).functions.list(), "the new secret works");
    expectOk(await admin.keys.revoke(k.id), "revoke");
    assert.equal(failed(await client(rotated.key).functions.list()).status, 401);
    assert.equal(failed(await admin.keys.rotate(k.id)).code, "Conflict");
    const soon = expectOk(await admin.keys.create({ name: "short", role: "viewer", expiresAt: new Date(Date.now() + 1500).toISOString() }), "create", 201);
    expectOk(await client(soon.key).functions.list(), "works until it expires");
    await waitFor("the expired key to be refused", async () => !(await client(soon.key).functions.list()).ok, { timeoutMs: 10_000 });
    assert.ok(Date.now() >= Date.parse(soon.expiresAt!), "refused only after its expiry");
  });

  it("accepts HS256 and RS256 (JWKS) tokens with their roles and scope, records jwt:<sub> as actor, and answers precise 401s", async () => {
    need();
    const deployer = client(await hs256({ sub: "alice", aud: AUDIENCE, roles: ["deployer"] }));
    expectOk(await deployer.functions.update("orders-1", { timeout: 20 }), "a deployer token updates a function");
    const { privateKey } = await rsa;
    const viaJwks = await new SignJWT({ sub: "bob", aud: AUDIENCE, roles: "viewer", functions: ["orders-*"] }).setProtectedHeader({ alg: "RS256", kid: "idp-1" }).setExpirationTime("5m").sign(privateKey);
    const viewer = client(viaJwks);
    assert.deepEqual(expectOk(await viewer.functions.list(), "list").functions.map((f) => f.name), ["orders-1"]);
    assert.equal(failed(await viewer.functions.update("orders-1", { timeout: 5 })).status, 403);
    const expired = failed(await client(await hs256({ sub: "a", aud: AUDIENCE, roles: ["admin"] }, Math.floor(Date.now() / 1000) - 3600)).functions.list());
    assert.deepEqual([expired.status, expired.code], [401, "TokenExpired"]);
    const wrongAud = failed(await client(await hs256({ sub: "a", aud: "someone-else", roles: ["admin"] })).functions.list());
    assert.deepEqual([wrongAud.status, wrongAud.code], [401, "InvalidTokenClaim"]);
    const forged = failed(await client(await hs256({ sub: "a", aud: AUDIENCE, roles: ["admin"] }, "5m", "a-different-secret-of-32-bytes-or-more")).functions.list());
    assert.deepEqual([forged.status, forged.code], [401, "InvalidTokenSignature"]);
    // A JWT on the invoke path goes through the same authenticators.
    const invoker = await hs256({ sub: "carol", aud: AUDIENCE, roles: ["invoker"] });
    assert.equal((await p.api("POST", "/api/v1/functions/billing/invoke", {}, { authorization: `Bearer ${invoker}` })).status, 200);
    const db = await openDatabase({ kind: "postgres", url: p.env!.DATABASE_URL! });
    {
      try {
        const rows = await createRepositories(db.db).auditLogs.list({ resourceType: "function", resourceId: "orders-1" });
        assert.ok(rows.some((r) => r.action === "function.update" && r.actor === "jwt:alice"), JSON.stringify(rows.map((r) => [r.action, r.actor])));
      } finally {
        await db.close();
      }
    }
  });

  it('serves Http routes with auth "jwt": claims and scopes reach the function, a missing or bad token is a 401', async () => {
    need();
    await deployFunction(p, { name: "orders-api", code: nodeCode(ECHO_SOURCE) });
    await createTrigger(p, { functionName: "orders-api", type: "Http", config: { methods: ["GET"], path: "/me", auth: "jwt" } });
    const token = await hs256({ sub: "dana", aud: AUDIENCE, scope: "orders.read orders.write", tenant: 42 });
    const res = await send(`${p.url}/fn/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, res.text);
    const authorizer = res.json.requestContext.authorizer.jwt;
    assert.equal(authorizer.claims.sub, "dana");
    assert.equal(authorizer.claims.tenant, "42");
    assert.deepEqual(authorizer.scopes, ["orders.read", "orders.write"]);
    assert.equal((await send(`${p.url}/fn/me`)).status, 401);
    const expired = await send(`${p.url}/fn/me`, { headers: { authorization: `Bearer ${await hs256({ sub: "x", aud: AUDIENCE }, Math.floor(Date.now() / 1000) - 3600)}` } });
    assert.deepEqual([expired.status, expired.json.error.code], [401, "TokenExpired"]);
  });

  it("the Pulumi SDK's providers work with a deployer JWT (hotswap.Provider token) and are refused with a viewer one", async () => {
    need();
    const token = await hs256({ sub: "pulumi-ci", aud: AUDIENCE, roles: ["deployer"], functions: ["orders-*"] });
    const inputs = await functionInputs({ url: p.url, key: token }, "orders-sdk", await codeDir(nodeHandler("from-sdk")));
    const { id } = await functionProvider.create(inputs);
    assert.equal(id, "orders-sdk");
    expectOk(await admin.functions.get("orders-sdk"), "created through the SDK with a token");
    const viewer = await hs256({ sub: "pulumi-ro", aud: AUDIENCE, roles: ["viewer"] });
    await assert.rejects(functionProvider.create(await functionInputs({ url: p.url, key: viewer }, "orders-sdk2", await codeDir(nodeHandler("x")))), /Forbidden/);
  });
});
