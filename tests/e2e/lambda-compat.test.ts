/**
 * Lambda compatibility, end to end: what AWS's own Node.js and Python runtimes answer, asserted
 * through the Lambda-compatible path (the stock AWS SDK) and HotSwap's own invoke path, on both
 * protocols (the fast channel and the Lambda Runtime API):
 * - init errors keep their type and Lambda's wording (ImportModuleError, HandlerNotFound,
 *   UserCodeSyntaxError, BuiltInModuleConflict, the error thrown at init);
 * - error documents are the runtime's own on the Lambda path, HotSwap's shape on its own path;
 * - the instance's Lambda variables (AWS_EXECUTION_ENV, log group and stream, initialization
 *   type, LAMBDA_RUNTIME_DIR) and the context fields that mirror them;
 * - Node's handler semantics and Python's context objects and results.
 */
import assert from "node:assert/strict";
import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from "@aws-sdk/client-lambda";
import { after, before, describe, it } from "node:test";
import type { RuntimeProtocol } from "../../protocol/runtimes.ts";
import { apiOf, deployFunction, expectOk, invokeFunction } from "../support/deploy.ts";
import { startPlatform, type TestPlatform } from "../support/platform.ts";

let p: TestPlatform;
let lambda: LambdaClient;
before(async () => {
  p = await startPlatform("embedded");
  const [, id, secret] = /^hs_([a-z0-9]+)_(.+)$/.exec(p.key)!;
  lambda = new LambdaClient({ endpoint: p.url, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: `hs_${id}`, secretAccessKey: secret! } });
});
after(async () => {
  lambda?.destroy();
  await p?.close();
});

let seq = 0;
async function deploy(fixture: string, runtime: string, handler: string, protocol: RuntimeProtocol): Promise<string> {
  const name = `compat-${++seq}-${protocol === "fast" ? "f" : "r"}`;
  await deployFunction(p, { name, runtime: runtime as never, handler, protocol, code: { fixture } });
  return name;
}

/** The Lambda path's answer: status, FunctionError, and the payload as text and JSON. */
async function viaSdk(name: string, event: unknown = {}, clientContext?: unknown): Promise<InvokeCommandOutput & { text: string; json: any }> {
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: name,
      Payload: JSON.stringify(event),
      ...(clientContext ? { ClientContext: Buffer.from(JSON.stringify(clientContext)).toString("base64") } : {}),
    }),
  );
  const text = new TextDecoder().decode(out.Payload);
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { ...out, text, json };
}

const ARN = "arn:aws:lambda:us-east-1:000000000000:function:";

/** invokedFunctionArn as the handler sees it, unqualified, by version, by $LATEST, and through aliases (the default `live` included). */
async function assertInvokedArns(fixture: string, runtime: string, handler: string, protocol: RuntimeProtocol): Promise<void> {
  const name = await deploy(fixture, runtime, handler, protocol);
  const arn = async (qualifier?: string) => (await viaSdk(qualifier ? `${name}:${qualifier}` : name)).json.context.invokedFunctionArn;
  assert.equal(await arn(), ARN + name, "unqualified, no live alias");
  assert.equal(await arn("1"), `${ARN}${name}:1`);
  assert.equal(await arn("$LATEST"), `${ARN}${name}:$LATEST`);
  expectOk(await apiOf(p).aliases.put(name, "live", { version: 1 }), "alias live", 201);
  expectOk(await apiOf(p).aliases.put(name, "beta", { version: 1 }), "alias beta", 201);
  assert.equal(await arn("beta"), `${ARN}${name}:beta`);
  await waitForArn(() => arn(), `${ARN}${name}:live`);
  const own = await invokeFunction(p, name, {}, { qualifier: "beta" });
  assert.equal(own.json.context.invokedFunctionArn, `${ARN}${name}:beta`, "HotSwap's own path too");
}

/** An unqualified invoke goes through `live` once every replica's routing table has the new alias. */
async function waitForArn(read: () => Promise<string>, want: string): Promise<void> {
  let got = "";
  for (let i = 0; i < 50 && got !== want; i++) {
    got = await read();
    if (got !== want) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(got, want, "unqualified goes through the default alias live");
}

for (const protocol of ["fast", "runtime-api"] as RuntimeProtocol[]) {
  describe(`Node.js over ${protocol}`, () => {
    it("invokedFunctionArn names what was invoked: the function, a version, $LATEST or an alias", async () => {
      await assertInvokedArns("node-lambda-facts", "nodejs20", "index.handler", protocol);
    });

    const initErrors: [string, string, string, (m: string) => boolean][] = [
      ["node-missing-module", "index.handler", "Runtime.ImportModuleError", (m) => m.startsWith("Error: Cannot find module 'left-pad-nowhere'")],
      ["node-init-throws", "index.handler", "TypeError", (m) => m === "bad config: REGION is not set"],
      ["node-syntax-error", "index.handler", "Runtime.UserCodeSyntaxError", (m) => m.startsWith("SyntaxError: ")],
      ["node-missing-export", "index.handler", "Runtime.HandlerNotFound", (m) => m === "index.handler is undefined or not exported"],
      ["node-missing-export", "index.notAFunction", "Runtime.HandlerNotFound", (m) => m === "index.notAFunction is not a function"],
    ];
    for (const [fixture, handler, type, message] of initErrors) {
      it(`an init error of ${fixture} (${handler}) is ${type} on both paths`, async () => {
        const name = await deploy(fixture, "nodejs20", handler, protocol);
        const out = await viaSdk(name);
        assert.equal(out.StatusCode, 200);
        assert.equal(out.FunctionError, "Unhandled");
        assert.deepEqual(Object.keys(out.json), ["errorType", "errorMessage", "trace"], out.text);
        assert.equal(out.json.errorType, type);
        assert.ok(message(out.json.errorMessage), `Lambda path message: ${out.json.errorMessage}`);
        const own = await invokeFunction(p, name);
        assert.equal(own.status, 502);
        assert.equal(own.json.error?.code ?? own.json.code, "InitError", own.text);
        assert.equal(own.json.errorType, type);
        assert.ok(message(own.json.errorMessage), `HotSwap path message: ${own.json.errorMessage}`);
        assert.ok(Array.isArray(own.json.stackTrace), "HotSwap's own shape carries stackTrace");
      });
    }

    it("a handler error is Node's document on the Lambda path and HotSwap's shape on its own", async () => {
      const name = await deploy("node-throws", "nodejs20", "index.handler", protocol);
      const out = await viaSdk(name, { id: 1 });
      assert.equal(out.FunctionError, "Unhandled");
      assert.deepEqual(Object.keys(out.json), ["errorType", "errorMessage", "trace"]);
      assert.equal(out.json.errorType, "ValidationError");
      const own = await invokeFunction(p, name, { id: 1 });
      assert.equal(own.status, 500);
      assert.deepEqual(Object.keys(own.json), ["errorType", "errorMessage", "stackTrace"]);
      assert.equal(own.json.errorMessage, 'bad input: {"id":1}');
      assert.deepEqual(own.json.stackTrace, out.json.trace);
    });

    it("a handler file without an extension is accepted at upload and loads as CommonJS", async () => {
      const name = `compat-noext-${protocol === "fast" ? "f" : "r"}`;
      const source = "exports.handler = async (event) => ({ cjs: typeof module !== 'undefined' && typeof require === 'function', echo: event });";
      await deployFunction(p, { name, protocol, code: { files: { index: source } } });
      const out = await viaSdk(name, { a: 1 });
      assert.equal(out.FunctionError, undefined, out.text);
      assert.deepEqual(out.json, { cjs: true, echo: { a: 1 } });
    });

    it("sets Lambda's instance variables, and the context agrees with them", async () => {
      const name = await deploy("node-lambda-facts", "nodejs20", "index.handler", protocol);
      const { json } = await viaSdk(name);
      assert.equal(json.env.AWS_EXECUTION_ENV, "AWS_Lambda_nodejs20.x");
      assert.equal(json.env.AWS_LAMBDA_LOG_GROUP_NAME, `/aws/lambda/${name}`);
      assert.match(json.env.AWS_LAMBDA_LOG_STREAM_NAME, /^\d{4}\/\d{2}\/\d{2}\/\[1\][0-9a-f]{32}$/);
      assert.equal(json.env.AWS_LAMBDA_INITIALIZATION_TYPE, "on-demand");
      assert.ok(json.env.LAMBDA_RUNTIME_DIR, "LAMBDA_RUNTIME_DIR is set");
      assert.equal(json.context.logGroupName, json.env.AWS_LAMBDA_LOG_GROUP_NAME);
      assert.equal(json.context.logStreamName, json.env.AWS_LAMBDA_LOG_STREAM_NAME);
    });

    it("answers as AWS's Node.js runtime: a sync return value is ignored (null), bare context.fail(), a thrown object, a circular result", async () => {
      const sync = await viaSdk(await deploy("node-lambda-facts", "nodejs20", "index.syncValue", protocol));
      assert.equal(sync.FunctionError, undefined, sync.text);
      assert.equal(sync.text, "null");
      const fail = await viaSdk(await deploy("node-lambda-facts", "nodejs20", "index.failBare", protocol));
      assert.equal(fail.FunctionError, "Unhandled");
      assert.deepEqual(fail.json, { errorType: "string", errorMessage: "handled", trace: [] });
      const obj = await viaSdk(await deploy("node-lambda-facts", "nodejs20", "index.throwObject", protocol));
      assert.deepEqual(obj.json, { errorType: "object", errorMessage: "[object Object]", trace: [] });
      const circ = await viaSdk(await deploy("node-lambda-facts", "nodejs20", "index.circular", protocol));
      assert.equal(circ.FunctionError, "Unhandled");
      assert.equal(circ.json.errorType, "Error");
      assert.equal(circ.json.errorMessage, "Unable to stringify response body");
    });

    it("an unhandled rejection fails the invocation with 'Error: <message>' and the next one runs on a new instance", async () => {
      const name = await deploy("node-lambda-facts", "nodejs20", "index.rejectLater", protocol);
      const out = await viaSdk(name);
      assert.equal(out.FunctionError, "Unhandled");
      assert.equal(out.json.errorType, "Runtime.UnhandledPromiseRejection");
      assert.equal(out.json.errorMessage, "Error: late failure");
      const again = await invokeFunction(p, name);
      assert.equal(again.status, 500);
      assert.equal(again.headers.get("x-hotswap-cold-start"), "true", "the instance that failed is gone");
    });
  });

  for (const runtime of ["python3.11", "python3.12"]) {
    describe(`${runtime} over ${protocol}`, () => {
      it("invokedFunctionArn names what was invoked: the function, a version, $LATEST or an alias", async () => {
        await assertInvokedArns("python-lambda-facts", runtime, "handler.handler", protocol);
      });

      const initErrors: [string, string, string, string][] = [
        ["python-init-throws", "handler.handler", "TypeError", "bad config: REGION is not set"],
        ["python-builtin-conflict", "sys.handler", "Runtime.BuiltInModuleConflict", "Cannot use built-in module sys as a handler module"],
        ["python-echo", "handler.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'handler'"],
        ["python-missing-module", "handler.handler", "Runtime.ImportModuleError", "Unable to import module 'handler': No module named 'requests_nowhere'"],
      ];
      for (const [fixture, handler, type, message] of initErrors) {
        it(`an init error of ${fixture} (${handler}) is ${type} with Python's document`, async () => {
          const name = await deploy(fixture, runtime, handler, protocol);
          const out = await viaSdk(name);
          assert.equal(out.FunctionError, "Unhandled");
          assert.deepEqual(Object.keys(out.json), ["errorMessage", "errorType", "requestId", "stackTrace"], out.text);
          assert.equal(out.json.errorType, type);
          assert.equal(out.json.errorMessage, message);
          const own = await invokeFunction(p, name);
          assert.equal(own.status, 502);
          assert.equal(own.json.errorType, type);
          assert.equal(own.json.errorMessage, message);
        });
      }

      it("a raised exception is Python's document with the request id on the Lambda path", async () => {
        const name = await deploy("python-throws", runtime, "handler.handler", protocol);
        const out = await viaSdk(name, { a: 1 });
        assert.deepEqual(Object.keys(out.json), ["errorMessage", "errorType", "requestId", "stackTrace"]);
        assert.equal(out.json.requestId, out.$metadata.requestId);
        const own = await invokeFunction(p, name, { a: 1 });
        assert.deepEqual(Object.keys(own.json), ["errorType", "errorMessage", "stackTrace"]);
      });

      it("context.identity and client_context are objects, context.log exists, and the instance variables are Lambda's", async () => {
        const name = await deploy("python-lambda-facts", runtime, "handler.handler", protocol);
        const bare = await viaSdk(name);
        assert.equal(bare.FunctionError, undefined, bare.text);
        assert.deepEqual(bare.json.identity, { type: "CognitoIdentity", cognito_identity_id: null, cognito_identity_pool_id: null });
        assert.equal(bare.json.clientContext, null);
        assert.equal(bare.json.env.AWS_EXECUTION_ENV, `AWS_Lambda_${runtime}`);
        assert.equal(bare.json.env.AWS_LAMBDA_LOG_GROUP_NAME, `/aws/lambda/${name}`);
        assert.equal(bare.json.context.logStreamName, bare.json.env.AWS_LAMBDA_LOG_STREAM_NAME);
        assert.equal(bare.json.env.AWS_LAMBDA_INITIALIZATION_TYPE, "on-demand");
        const withContext = await viaSdk(name, {}, { client: { installation_id: "inst-1", app_title: "Shop" }, custom: { tier: "gold" }, env: { locale: "en" } });
        assert.deepEqual(withContext.json.clientContext, {
          type: "ClientContext",
          clientType: "Client",
          installation_id: "inst-1",
          app_title: "Shop",
          custom: { tier: "gold" },
          env: { locale: "en" },
        });
      });

      it(`serialises results as AWS's ${runtime} runtime: non-ASCII ${runtime === "python3.12" ? "as is" : "escaped"}, bytes raw`, async () => {
        const uni = await viaSdk(await deploy("python-lambda-facts", runtime, "handler.unicode", protocol));
        assert.equal(uni.text, runtime === "python3.12" ? '{"price": "£1.00"}' : '{"price": "\\u00a31.00"}');
        const raw = await viaSdk(await deploy("python-lambda-facts", runtime, "handler.raw_bytes", protocol));
        assert.deepEqual(Buffer.from(raw.Payload!), Buffer.from("\x00raw bytes\xff", "latin1"));
      });
    });
  }
}
