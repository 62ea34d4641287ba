/** End-to-end: /health reports 503 naming the dependency that is down, and the API keeps answering. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startPlatform } from "../support/platform.ts";
import { apiOf, expectOk } from "../support/deploy.ts";
import { startS3Server } from "../support/services.ts";

test("GET /health turns 503 naming codeStore when the S3 server goes away, and 200 again when it returns", { timeout: 60_000 }, async () => {
  const s3 = await startS3Server(undefined, { own: true });
  const port = new URL(s3.endpoint).port;
  const p = await startPlatform("embedded", {
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  });
  const api = apiOf(p);
  try {
    expectOk(await api.system.health(), "GET /health", 200);
    await s3.close();
    // A 503 from /health is still a health report: the client returns it as a value.
    const body = expectOk(await api.system.health(), "GET /health", 503);
    assert.equal(body.status, "unavailable");
    assert.equal(body.checks.database, "ok");
    assert.match(body.checks.codeStore!, /^down: .*S3/);
    assert.equal(body.error?.code, "ServiceUnavailable");
    assert.match(body.error!.message, /codeStore/);
    expectOk(await api.functions.list(), "the API keeps serving what does not need S3", 200);
    const back = await startS3Server(s3.bucket, { own: true, port: Number(port) });
    try {
      expectOk(await api.system.health(), "GET /health", 200);
    } finally {
      await back.close();
    }
  } finally {
    await p.close();
  }
});
