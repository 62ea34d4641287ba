import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { isApiError } from "../../../protocol/errors.ts";
import { JwtVerifier, looksLikeJwt, principalOf, type JwtSettings } from "./jwt-verifier.ts";
import { jwtAuthenticator } from "./jwt-authenticator.ts";

const SECRET = "a-test-secret-of-at-least-32-bytes!!";
const HS: JwtSettings = { secret: SECRET, issuer: "https://issuer.test", audience: "hotswap", rolesClaim: "roles", clockSkewSeconds: 30 };

function hs256(claims: JWTPayload, opts: { secret?: string; exp?: number | string; nbf?: number } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt();
  if (opts.exp !== undefined) jwt.setExpirationTime(opts.exp);
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

async function refused(p: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isApiError(e), String(e));
    assert.equal(e.code, code);
    assert.equal(e.status, code === "JwksUnavailable" ? 503 : 401);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const base = { iss: "https://issuer.test", aud: "hotswap" };

describe("JWT verification (HS256)", () => {
  const v = new JwtVerifier(HS);

  it("turns a valid token into a principal: subject jwt:<sub>, roles from the claim, scope from functions", async () => {
    const token = await hs256({ ...base, sub: "alice", roles: ["deployer", "approver", "nonsense"], functions: ["orders-*"] }, { exp: "1h" });
    const { principal, claims } = await v.verify(token);
    assert.deepEqual({ ...principal }, { subject: "jwt:alice", method: "jwt", roles: ["deployer"], functions: ["orders-*"], canApprove: true });
    assert.equal(claims.sub, "alice");
  });

  it("refuses an expired token with TokenExpired, but accepts one expired within the clock skew", async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(v.verify(await hs256({ ...base, sub: "a" }, { exp: now - 120 })), "TokenExpired", /expired/);
    const recent = await v.verify(await hs256({ ...base, sub: "a", roles: "viewer" }, { exp: now - 5 }));
    assert.deepEqual(recent.principal.roles, ["viewer"]);
    await refused(new JwtVerifier({ ...HS, clockSkewSeconds: 0 }).verify(await hs256({ ...base, sub: "a" }, { exp: now - 5 })), "TokenExpired");
  });

  it("refuses a token not valid yet (nbf) and wrong audience or issuer with InvalidTokenClaim naming the claim", async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(v.verify(await hs256({ ...base, sub: "a" }, { exp: "1h", nbf: now + 600 })), "InvalidTokenClaim", /not valid yet/);
    await refused(v.verify(await hs256({ ...base, aud: "other", sub: "a" }, { exp: "1h" })), "InvalidTokenClaim", /audience \(aud\)/);
    await refused(v.verify(await hs256({ ...base, iss: "https://evil.test", sub: "a" }, { exp: "1h" })), "InvalidTokenClaim", /issuer \(iss\)/);
    await refused(v.verify(await hs256({ ...base }, { exp: "1h" })), "InvalidTokenClaim", /"sub" claim is required/);
    await refused(v.verify(await hs256({ ...base, sub: "a", roles: 7 }, { exp: "1h" })), "InvalidTokenClaim", /"roles" claim must be a string or an array/);
    await refused(v.verify(await hs256({ ...base, sub: "a", functions: ["a/b"] }, { exp: "1h" })), "InvalidTokenClaim", /not a function-name pattern/);
  });

  it("refuses a token signed with another secret with InvalidTokenSignature, and garbage with MalformedToken", async () => {
    await refused(v.verify(await hs256({ ...base, sub: "a" }, { exp: "1h", secret: "another-secret-of-at-least-32-bytes" })), "InvalidTokenSignature");
    await refused(v.verify("eyJhbGc.e30.c2ln"), "MalformedToken", /header cannot be decoded/);
    await refused(v.verify("eyJub3QiOiJqc29uIn0.e30."), "MalformedToken", /algorithm "undefined" is not accepted/);
  });

  it("answers JwtNotConfigured when the server has no JWT settings", async () => {
    const none = new JwtVerifier(undefined);
    assert.equal(none.configured, false);
    await refused(none.verify(await hs256({ ...base, sub: "a" }, { exp: "1h" })), "JwtNotConfigured", /HOTSWAP_JWT_SECRET/);
  });

  it("reads roles from a dotted claim path and a space-separated string", () => {
    assert.deepEqual(principalOf({ sub: "k", realm_access: { roles: ["invoker"] } }, "realm_access.roles").roles, ["invoker"]);
    assert.deepEqual(principalOf({ sub: "k", roles: "viewer invoker" }, "roles").roles, ["viewer", "invoker"]);
    assert.equal(principalOf({ sub: "k", roles: "viewer" }, "roles").canApprove, undefined);
  });

  it("caches a verified token until its exp: the authenticator answers synchronously the second time, and not after exp", async () => {
    let now = Date.now();
    const clocked = new JwtVerifier(HS, { now: () => now });
    const auth = jwtAuthenticator(clocked);
    const token = await hs256({ ...base, sub: "bob", roles: ["invoker"] }, { exp: Math.floor(now / 1000) + 60 });
    const req = { method: "POST", path: "/x", rawPath: "/x", rawQuery: "", header: () => `Bearer ${token}`, get: () => null, body: async () => new Uint8Array() };
    const first = auth(req);
    assert.ok(first instanceof Promise, "first sight verifies");
    assert.equal((await first)!.subject, "jwt:bob");
    const second = auth(req);
    assert.ok(!(second instanceof Promise), "second sight is a cache hit");
    assert.equal(second!.subject, "jwt:bob");
    now += 61_000;
    assert.equal(clocked.cached(token), undefined, "gone from the cache after exp");
  });

  it("claims only Bearer values shaped like a JWT", () => {
    const auth = jwtAuthenticator(new JwtVerifier(HS));
    const req = (h: string) => ({ method: "GET", path: "/", rawPath: "/", rawQuery: "", header: () => h, get: () => null, body: async () => new Uint8Array() });
    assert.equal(auth(req(`Bearer hs_abcd1234_${"x".repeat(40)}`)), null);
    assert.equal(auth(req("Basic abc")), null);
    assert.ok(looksLikeJwt("eyJhbGciOiJIUzI1NiJ9.e30.abc"));
    assert.ok(!looksLikeJwt("eyJhbGciOiJIUzI1NiJ9.e30"));
  });
});

describe("JWT verification through a JWKS endpoint (RS256, ES256, key rotation)", () => {
  let server: Server;
  let url: string;
  let keys: object[] = [];
  let fetches = 0;
  const rsa = generateKeyPair("RS256");
  const ec = generateKeyPair("ES256");

  before(async () => {
    server = createServer((req, res) => {
      fetches++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const sign = async (alg: "RS256" | "ES256", kid: string, key: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"], claims: JWTPayload) =>
    new SignJWT(claims).setProtectedHeader({ alg, kid }).setIssuedAt().setExpirationTime("1h").sign(key);

  it("verifies RS256 and ES256 tokens by kid, picks up a rotated-in key, and refuses a key it does not publish", async () => {
    const { publicKey: rsaPub, privateKey: rsaPriv } = await rsa;
    const { publicKey: ecPub, privateKey: ecPriv } = await ec;
    keys = [{ ...(await exportJWK(rsaPub)), kid: "r1", alg: "RS256", use: "sig" }];
    const v = new JwtVerifier({ jwksUrl: url, audience: "hotswap", rolesClaim: "roles", clockSkewSeconds: 30 }, { jwksCooldownMs: 0 });
    const rs = await v.verify(await sign("RS256", "r1", rsaPriv, { sub: "carol", aud: "hotswap", roles: ["viewer"] }));
    assert.equal(rs.principal.subject, "jwt:carol");
    // Rotation: the provider publishes a new key; a token with its kid makes jose refetch the set.
    keys = [...keys, { ...(await exportJWK(ecPub)), kid: "e1", alg: "ES256", use: "sig" }];
    const before = fetches;
    const es = await v.verify(await sign("ES256", "e1", ecPriv, { sub: "dave", aud: "hotswap", roles: "admin" }));
    assert.deepEqual(es.principal.roles, ["admin"]);
    assert.ok(fetches > before, "the unknown kid refetched the key set");
    // A key the provider does not publish: no matching key, refused.
    const { privateKey: rogue } = await generateKeyPair("RS256");
    await refused(v.verify(await sign("RS256", "r1", rogue, { sub: "eve", aud: "hotswap" })), "InvalidTokenSignature");
    await refused(v.verify(await sign("RS256", "r1", rsaPriv, { sub: "carol", aud: "elsewhere" })), "InvalidTokenClaim", /audience/);
  });

  it("answers 503 JwksUnavailable when the JWKS endpoint cannot be reached", async () => {
    const { privateKey } = await rsa;
    const v = new JwtVerifier({ jwksUrl: "http://127.0.0.1:1/jwks", rolesClaim: "roles", clockSkewSeconds: 30 });
    await refused(v.verify(await sign("RS256", "r1", privateKey, { sub: "x" })), "JwksUnavailable");
  });

  it("refuses an HS256 token on a JWKS-only server (no secret to check it against)", async () => {
    const v = new JwtVerifier({ jwksUrl: url, rolesClaim: "roles", clockSkewSeconds: 30 });
    await refused(v.verify(await hs256({ sub: "a" }, { exp: "1h" })), "MalformedToken", /accepts RS256, ES256/);
  });
});
