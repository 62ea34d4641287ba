/**
 * End to end: the stock `@aws-sdk/client-lambda` InvokeCommand, pointed at a real HTTP
 * server (`@hono/node-server` on 127.0.0.1) through `endpoint`, authenticates with SigV4
 * using a HotSwap API key: access key id `hs_<id>`, secret access key `<secret>`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isApiError } from "../../../protocol/errors.ts";
import { generateApiKey } from "./api-key.ts";
import { KeyResolver, newApiKeyRecord } from "./key-store.ts";
import { MemoryApiKeyStore } from "../../../tests/support/memory-key-store.ts";
import { authenticate, type AuthEnv } from "./middleware.ts";
import { apiKeyAuthenticator } from "./api-key-authenticator.ts";
import { sigV4Authenticator } from "./sigv4-authenticator.ts";
import { SecretBox } from "./secret-box.ts";

interface TestServer {
  endpoint: string;
  close(): Promise<void>;
}

/** An echoing Lambda-compatible endpoint behind the auth middleware. `skewMs` pretends the server clock is off. */
async function startServer(resolver: KeyResolver, skewMs = 0): Promise<TestServer> {
  const now = () => Date.now() + skewMs;
  const app = new Hono<AuthEnv>();
  app.onError((err, c) =>
    isApiError(err)
      ? c.json(err.toJSON(), err.status as ContentfulStatusCode)
      : c.json({ error: { code: "InternalError", message: "Internal error" } }, 500),
  );
  if (skewMs !== 0) {
    // The SDK re-syncs its clock from the Date response header; make it tell the server's time.
    app.use("*", async (c, next) => {
      await next();
      c.res.headers.set("date", new Date(now()).toUTCString());
    });
  }
  app.use("*", authenticate({ authenticators: [apiKeyAuthenticator(resolver), sigV4Authenticator(resolver, { now })] }));
  app.post("/2015-03-31/functions/:name/invocations", async (c) =>
    c.json({
      name: c.req.param("name"),
      qualifier: c.req.query("Qualifier") ?? null,
      event: await c.req.json(),
      principal: c.get("principal"),
    }),
  );
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
      resolve({
        endpoint: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((res, rej) => server.close((err) => (err ? rej(err) : res()))),
      });
    });
  });
}

describe("@aws-sdk/client-lambda against the auth middleware", () => {
  const { id, secret } = generateApiKey();
  let resolver: KeyResolver;
  let server: TestServer;

  before(async () => {
    const box = new SecretBox(randomBytes(32));
    const store = new MemoryApiKeyStore();
    await store.insert(newApiKeyRecord({ box, id, secret, name: "sdk", role: "admin" }));
    resolver = new KeyResolver({ store, box });
    server = await startServer(resolver);
  });

  after(() => server.close());

  /** Runs `fn` with a client that is destroyed afterwards (so no socket outlives the test). */
  async function withClient<T>(
    opts: { accessKeyId: string; secretAccessKey: string; endpoint?: string; maxAttempts?: number },
    fn: (lambda: LambdaClient) => Promise<T>,
  ): Promise<T> {
    const lambda = new LambdaClient({
      endpoint: opts.endpoint ?? server.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
      maxAttempts: opts.maxAttempts ?? 1,
    });
    try {
      return await fn(lambda);
    } finally {
      lambda.destroy();
    }
  }

  const invoke = (FunctionName: string, event: unknown, Qualifier?: string) =>
    new InvokeCommand({ FunctionName, Qualifier, Payload: new TextEncoder().encode(JSON.stringify(event)) });

  /** Asserts the SDK rejected with this HTTP status and that the body never carried the secret. */
  const rejectsWithStatus = (status: number) => (e: unknown) => {
    const err = e as { $metadata?: { httpStatusCode?: number }; $response?: { body?: unknown } };
    assert.equal(err.$metadata?.httpStatusCode, status, String(e));
    assert.ok(!JSON.stringify(e).includes(secret), "error leaks the secret");
    return true;
  };

  it("invokes with SigV4 credentials hs_<id> / <secret>, with a qualifier and names needing care", async () => {
    await withClient({ accessKeyId: `hs_${id}`, secretAccessKey: secret }, async (lambda) => {
      for (const name of ["hello", "my-fn", "fn_1"]) {
        const out = await lambda.send(invoke(name, { hi: name }, "live"));
        assert.equal(out.StatusCode, 200);
        assert.deepEqual(JSON.parse(new TextDecoder().decode(out.Payload)), {
          name,
          qualifier: "live",
          event: { hi: name },
          principal: { subject: `key:${id}`, keyId: id, method: "sigv4", roles: ["admin"] },
        });
      }
      const unqualified = await lambda.send(invoke("hello", { big: "x".repeat(100_000) }));
      assert.equal(JSON.parse(new TextDecoder().decode(unqualified.Payload)).qualifier, null);
    });
  });

  it("fails with 403 when the secret access key is wrong", async () => {
    await withClient({ accessKeyId: `hs_${id}`, secretAccessKey: "W".repeat(40) }, (lambda) =>
      assert.rejects(lambda.send(invoke("hello", {}, "live")), rejectsWithStatus(403)),
    );
  });

  it("fails with 401 when the access key id is unknown", async () => {
    await withClient({ accessKeyId: "hs_unknown99", secretAccessKey: secret }, (lambda) =>
      assert.rejects(lambda.send(invoke("hello", {})), rejectsWithStatus(401)),
    );
  });

  it("answers 403 to a clock 20 minutes off, and the SDK recovers by re-syncing from the Date header", async () => {
    const skewed = await startServer(resolver, 20 * 60_000);
    try {
      await withClient({ accessKeyId: `hs_${id}`, secretAccessKey: secret, endpoint: skewed.endpoint }, (lambda) =>
        assert.rejects(lambda.send(invoke("hello", {})), rejectsWithStatus(403)),
      );
      await withClient({ accessKeyId: `hs_${id}`, secretAccessKey: secret, endpoint: skewed.endpoint, maxAttempts: 2 }, async (lambda) => {
        const out = await lambda.send(invoke("hello", { late: true }));
        assert.equal(out.StatusCode, 200);
        assert.equal(out.$metadata.attempts, 2);
      });
    } finally {
      await skewed.close();
    }
  });
});
