/** End-to-end: the stock @aws-sdk/client-lambda InvokeCommand against HotSwap's Lambda-compatible path, SigV4-signed. */
import assert from "node:assert/strict";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { forEachMode, it, type TestPlatform } from "../support/platform.ts";
import { zipFixture } from "../support/zip.ts";

function client(p: TestPlatform, secretOverride?: string): LambdaClient {
  const [, id, secret] = /^hs_([a-z0-9]+)_(.+)$/.exec(p.key)!;
  return new LambdaClient({
    endpoint: p.url,
    region: "us-east-1",
    maxAttempts: 1,
    credentials: { accessKeyId: `hs_${id}`, secretAccessKey: secretOverride ?? secret! },
  });
}

const decode = (b?: Uint8Array) => JSON.parse(new TextDecoder().decode(b));

forEachMode("Lambda-compatible invoke", (p) => {
  it("invokes through the AWS SDK with SigV4, by alias, version and ARN", async () => {
    await p().api("POST", "/api/v1/functions", { name: "sdk", runtime: "nodejs20", handler: "index.handler" });
    for (let i = 0; i < 2; i++) await p().api("POST", "/api/v1/functions/sdk/versions", zipFixture("node-cjs"), { "content-type": "application/zip" });
    await p().api("PUT", "/api/v1/functions/sdk/aliases/live", { version: 1 });
    const lambda = client(p());
    const out = await lambda.send(new InvokeCommand({ FunctionName: "sdk", Qualifier: "live", Payload: JSON.stringify({ via: "sdk" }) }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.ExecutedVersion, "1");
    assert.equal(out.FunctionError, undefined);
    assert.deepEqual(decode(out.Payload).echo, { via: "sdk" });
    const v2 = await lambda.send(new InvokeCommand({ FunctionName: "sdk:2", Payload: "{}" }));
    assert.equal(v2.ExecutedVersion, "2");
    const arn = await lambda.send(new InvokeCommand({ FunctionName: "arn:aws:lambda:us-east-1:123456789012:function:sdk", Payload: "{}" }));
    assert.equal(arn.ExecutedVersion, "1", "unqualified goes to alias live");
    const dry = await lambda.send(new InvokeCommand({ FunctionName: "sdk", InvocationType: "DryRun" }));
    assert.equal(dry.StatusCode, 204);
    lambda.destroy();
  });

  it("reports a handler error as FunctionError Unhandled with Lambda's payload", async () => {
    await p().api("POST", "/api/v1/functions", { name: "sdkerr", runtime: "nodejs20", handler: "index.handler" });
    await p().api("POST", "/api/v1/functions/sdkerr/versions", zipFixture("node-throws"), { "content-type": "application/zip" });
    const lambda = client(p());
    const out = await lambda.send(new InvokeCommand({ FunctionName: "sdkerr", Payload: "{}" }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, "Unhandled");
    const body = decode(out.Payload);
    assert.equal(body.errorType, "ValidationError");
    // The document AWS's Node.js runtime posts: `trace`, not `stackTrace`.
    assert.deepEqual(Object.keys(body), ["errorType", "errorMessage", "trace"]);
    assert.ok(body.trace.some((l: string) => l.includes("index.js")));
    lambda.destroy();
  });

  it("maps missing functions and bad signatures to Lambda's error types", async () => {
    const lambda = client(p());
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: "does-not-exist", Payload: "{}" })), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, "ResourceNotFoundException");
      assert.equal(e.$metadata?.httpStatusCode, 404);
      return true;
    });
    lambda.destroy();
    const wrong = client(p(), "Z".repeat(40));
    await assert.rejects(wrong.send(new InvokeCommand({ FunctionName: "sdk", Payload: "{}" })), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.$metadata?.httpStatusCode, 403);
      return true;
    });
    wrong.destroy();
  });
});
