/** End-to-end: /health reports 503 naming the dependency that is down, and the API keeps answering. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startPlatform } from "../support/platform.ts";
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
  try {
    assert.equal((await fetch(`${p.url}/health`)).status, 200);
    await s3.close();
    const down = await fetch(`${p.url}/health`);
    assert.equal(down.status, 503);
    const body = (await down.json()) as any;
    assert.equal(body.status, "unavailable");
    assert.equal(body.checks.database, "ok");
    assert.match(body.checks.codeStore, /^down: .*S3/);
    assert.equal(body.error.code, "ServiceUnavailable");
    assert.match(body.error.message, /codeStore/);
    assert.equal((await p.api("GET", "/api/v1/functions")).status, 200, "the API keeps serving what does not need S3");
    const back = await startS3Server(s3.bucket, { own: true, port: Number(port) });
    try {
      assert.equal((await fetch(`${p.url}/health`)).status, 200);
    } finally {
      await back.close();
    }
  } finally {
    await p.close();
  }
});
