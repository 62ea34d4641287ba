/**
 * No request can crash a process (issue 14, finding 5): a client context that is not base64 of a
 * JSON object is a 400 at the front door, and a valid one in any script reaches the handler on
 * both protocols; the runner's cluster-secret check cannot throw; a poison (deeply nested) event
 * is Runtime.UnmarshalError, not a dead instance; bad names and out-of-range versions are 400;
 * an error inside a request listener is a logged 500 and the server keeps serving.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { functionSpec } from "../support/function-spec.ts";
import { zipFiles } from "../support/zip.ts";
import { createFrontDoor } from "../../platform/src/api/front-door/index.ts";
import type { InvocationPipeline } from "../../platform/src/invocation/pipeline.ts";
import { RunnerServer, type RunnerServerTarget } from "../../runner/src/fleet/runner-server.ts";
import { HEADER_CLUSTER_SECRET } from "../../protocol/fleet.ts";
import { HEADER_FUNCTION_ERROR } from "../../protocol/headers.ts";

const TOKYO = { custom: { city: "東京" } };
const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v), "utf8").toString("base64");
/** 10 KB of valid JSON nested 5,000 deep: more than Python's recursion limit. */
const POISON = "[".repeat(5000) + "]".repeat(5000);

const NODE_ECHO = {
  "index.js": "exports.handler = async (event, context) => ({ clientContext: context.clientContext ?? null, n: Array.isArray(event) ? 'array' : event.n });",
  "package.json": '{"type":"commonjs"}',
};
const PYTHON_ECHO = {
  "handler.py": [
    "def handler(event, context):",
    "    cc = context.client_context  # an object, as on AWS: its custom part is what the caller sent",
    "    return {'clientContext': None if cc is None else {'custom': cc.custom}, 'n': 'array' if isinstance(event, list) else event.get('n')}",
    "",
  ].join("\n"),
};

async function deploy(p: TestPlatform, name: string, runtime: string, settings: Record<string, unknown> = {}): Promise<void> {
  const python = runtime.startsWith("python");
  const created = await p.api("POST", "/api/v1/functions", { name, runtime, handler: python ? "handler.handler" : "index.handler", ...settings });
  assert.equal(created.status, 201, created.text);
  const v = await p.api("POST", `/api/v1/functions/${name}/versions`, zipFiles(python ? PYTHON_ECHO : NODE_ECHO), { "content-type": "application/zip" });
  assert.equal(v.status, 201, v.text);
}

/** POST on the Lambda path with the admin key; the raw answer. */
function lambdaInvoke(p: TestPlatform, name: string, body: string, headers: Record<string, string> = {}) {
  return p.api("POST", `/2015-03-31/functions/${name}/invocations`, body, { "content-type": "application/json", ...headers });
}

/** Send raw bytes on a socket and resolve with what came back until the server closes or `ms` pass. */
function rawRequest(port: number, bytes: Buffer, ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(port, "127.0.0.1", () => s.write(bytes));
    const timer = setTimeout(() => s.destroy(), ms);
    s.on("data", (c) => {
      chunks.push(c);
      // One answer is enough: stop at the end of its body when it says how long it is.
      const text = Buffer.concat(chunks).toString("latin1");
      const head = text.indexOf("\r\n\r\n");
      const len = /content-length: (\d+)/i.exec(text);
      if (head >= 0 && len && text.length >= head + 4 + Number(len[1])) s.destroy();
    });
    s.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
    s.on("error", reject);
  });
}

describe("requests that once crashed a process", { timeout: 120_000 }, () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded");
    await deploy(p, "cc-node", "nodejs20");
  });
  after(async () => {
    await p?.close();
  });

  describe("x-amz-client-context", () => {
    const bad: Array<[string, string, RegExp]> = [
      ["not base64", "!!not base64!!", /not base64/],
      ["base64 of text that is not JSON", b64("city=東京"), /not JSON/],
      ["base64 of a JSON array", b64([1, 2]), /not an object/],
      ["base64 of a JSON string", b64('"東京"'), /not an object/],
      ["base64 of bytes that are not UTF-8", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString("base64"), /not UTF-8/],
      ["longer than 3,583 bytes", b64({ custom: { pad: "x".repeat(2700) } }), /at most 3583 bytes/],
    ];
    for (const [what, value, message] of bad) {
      test(`answers 400 InvalidRequestContent for a client context that is ${what}`, async () => {
        const r = await lambdaInvoke(p, "cc-node", "{}", { "x-amz-client-context": value });
        assert.equal(r.status, 400, r.text);
        assert.equal(r.headers.get("x-amzn-errortype"), "InvalidRequestContentException");
        assert.equal(r.json.code, "InvalidRequestContent");
        assert.match(r.json.message, /X-Amz-Client-Context/);
        assert.match(r.json.message, message);
      });
    }

    test("a client context of exactly 3,583 bytes is accepted", async () => {
      // Base64 grows in steps of 4: the longest context whose header is at most the limit.
      let pad = 2600;
      while (b64({ custom: { pad: "y".repeat(pad + 1) } }).length <= 3583) pad++;
      const value = b64({ custom: { pad: "y".repeat(pad) } });
      assert.ok(value.length <= 3583 && value.length >= 3580, String(value.length));
      const r = await lambdaInvoke(p, "cc-node", "{}", { "x-amz-client-context": value });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.clientContext.custom.pad.length > 2000, true);
    });

    for (const runtime of ["nodejs20", "python3.12"]) {
      for (const protocol of ["fast", "runtime-api"]) {
        test(`a client context in Japanese reaches a ${runtime} handler on the ${protocol} protocol`, async () => {
          const name = `cc-${runtime.replace(".", "")}-${protocol}`;
          await deploy(p, name, runtime, { protocol });
          for (let i = 0; i < 2; i++) {
            const r = await lambdaInvoke(p, name, JSON.stringify({ n: i }), { "x-amz-client-context": b64(TOKYO) });
            assert.equal(r.status, 200, r.text);
            assert.equal(r.headers.get("x-amz-function-error"), null, r.text);
            assert.deepEqual(r.json, { clientContext: TOKYO, n: i });
          }
          const health = await fetch(`${p.url}/health`);
          assert.equal(health.status, 200);
        });
      }
    }
  });

  describe("a poison event (valid JSON nested 5,000 deep)", () => {
    test("the platform's event check accepts it without crashing", async () => {
      const r = await p.api("POST", "/api/v1/functions/cc-node/invoke", POISON, { "content-type": "application/json" });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.n, "array");
    });

    for (const [runtime, protocol, concurrency] of [
      ["python3.12", "fast", 1],
      ["python3.12", "fast", 2],
      ["python3.12", "runtime-api", 1],
      ["python3.12", "runtime-api", 2],
    ] as const) {
      test(`a ${runtime} function (${protocol}, instanceConcurrency ${concurrency}) answers Runtime.UnmarshalError and serves the next call`, async () => {
        const name = `poison-${protocol}-${concurrency}`;
        await deploy(p, name, runtime, { protocol, instanceConcurrency: concurrency, maxInstances: 1, timeout: 10 });
        const warm = await p.api("POST", `/api/v1/functions/${name}/invoke`, { n: 0 });
        assert.equal(warm.status, 200, warm.text);
        const started = Date.now();
        const r = await p.api("POST", `/api/v1/functions/${name}/invoke`, POISON, { "content-type": "application/json" });
        assert.equal(r.status, 500, r.text);
        assert.ok(r.headers.get(HEADER_FUNCTION_ERROR), "a function error, not a platform error");
        assert.equal(r.json.errorType, "Runtime.UnmarshalError", r.text);
        assert.match(r.json.errorMessage, /nested too deeply/);
        assert.ok(Date.now() - started < 5000, "answered, not left to time out");
        const lambda = await lambdaInvoke(p, name, POISON);
        assert.equal(lambda.status, 200, lambda.text);
        assert.equal(lambda.headers.get("x-amz-function-error"), "Unhandled");
        assert.equal(lambda.json.errorType, "Runtime.UnmarshalError");
        for (let i = 1; i <= 3; i++) {
          const next = await p.api("POST", `/api/v1/functions/${name}/invoke`, { n: i });
          assert.equal(next.status, 200, next.text);
          assert.equal(next.json.n, i);
        }
        const runners = await p.api("GET", "/api/v1/runners");
        const warmVersion = runners.json.runners[0].warm.find((v: { function: string }) => v.function === name);
        assert.equal(warmVersion?.instances, 1, "the same instance answered: it did not die");
      });
    }

    test("a Node function answers a poison event as an ordinary event", async () => {
      await deploy(p, "poison-node", "nodejs20");
      const r = await lambdaInvoke(p, "poison-node", POISON);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get("x-amz-function-error"), null);
      assert.equal(r.json.n, "array");
    });
  });

  describe("bad names and versions", () => {
    test("a function name that is double-encoded wrongly is 400 on the Lambda path", async () => {
      for (const segment of ["%25E0%A4%A", "%25E0%25A4%25A", "%25", "ok%25ZZ"]) {
        const r = await lambdaInvoke(p, segment, "{}");
        assert.equal(r.status, 400, `${segment}: ${r.text}`);
        assert.equal(r.headers.get("x-amzn-errortype"), "InvalidParameterValueException");
      }
    });

    test("a qualifier past 2^31-1 is 400 InvalidQualifier on both invoke paths", async () => {
      const r = await p.api("POST", "/api/v1/functions/cc-node/invoke?qualifier=2147483648", {});
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, "InvalidQualifier");
      const l = await lambdaInvoke(p, "cc-node", "{}", {});
      assert.equal(l.status, 200, l.text);
      for (const path of ["cc-node/invocations?Qualifier=99999999999999999999", "cc-node%3A2147483648/invocations"]) {
        const q = await p.api("POST", `/2015-03-31/functions/${path}`, "{}");
        assert.equal(q.status, 400, `${path}: ${q.text}`);
        assert.equal(q.json.code, "InvalidQualifier");
      }
    });

    test("a version past 2^31-1 is 400 in the versions path, alias bodies and deployments", async () => {
      const got = await p.api("GET", "/api/v1/functions/cc-node/versions/2147483648");
      assert.equal(got.status, 400, got.text);
      assert.equal(got.json.error.code, "ValidationError");
      const huge = await p.api("GET", "/api/v1/functions/cc-node/versions/1" + "0".repeat(400));
      assert.equal(huge.status, 400, huge.text);
      const alias = await p.api("PUT", "/api/v1/functions/cc-node/aliases/big", { version: 2147483648 });
      assert.equal(alias.status, 400, alias.text);
      assert.equal(alias.json.error.code, "ValidationError");
      const weights = await p.api("PUT", "/api/v1/functions/cc-node/aliases/big", { version: 1, routingConfig: { additionalVersionWeights: { "2147483648": 0.1 } } });
      assert.equal(weights.status, 400, weights.text);
      const deployment = await p.api("POST", "/api/v1/deployments", { functionName: "cc-node", version: 4294967297, strategy: "Direct" });
      assert.equal(deployment.status, 400, deployment.text);
      assert.equal(deployment.json.error.code, "ValidationError");
      const ok = await p.api("GET", "/api/v1/functions/cc-node/versions/1");
      assert.equal(ok.status, 200, ok.text);
    });
  });
});

describe("the runner's cluster secret", () => {
  const secret = "s".repeat(32);
  let runner: RunnerServer;
  let port: number;
  let failStatus = false;
  const warnings: string[] = [];
  const target: RunnerServerTarget = {
    invoke: async () => ({ kind: "success", payload: Buffer.from("{}"), coldStart: false, start: "warm", durationMs: 1 }),
    freeSlots: () => 1,
    runtimes: async () => [],
    provision: async () => ({ instances: 0 }) as never,
    heartbeat: () => {
      if (failStatus) throw new Error("boom in heartbeat");
      return { id: "r1" } as never;
    },
    ready: () => true,
  };
  before(async () => {
    runner = new RunnerServer({ id: "r1", secret, target, log: { warn: (_o, msg) => void warnings.push(msg) } });
    port = (await runner.listen("127.0.0.1", 0)).port;
  });
  after(async () => {
    runner.closeAllConnections();
    await runner.close();
  });

  const status = (secretBytes: Buffer) =>
    rawRequest(port, Buffer.concat([Buffer.from(`GET /v1/status HTTP/1.1\r\nhost: x\r\nconnection: close\r\n${HEADER_CLUSTER_SECRET}: `), secretBytes, Buffer.from("\r\n\r\n")]));

  test("a secret of the right length holding a non-ASCII byte is 401, and the runner keeps serving", async () => {
    for (const bytes of [Buffer.from("s".repeat(31) + "\xe9", "latin1"), Buffer.from("é".repeat(16), "utf8"), Buffer.from("\xff".repeat(32), "latin1"), Buffer.from("short")]) {
      const answer = await status(bytes);
      assert.match(answer, /^HTTP\/1\.1 401 /, answer);
    }
    const ok = await status(Buffer.from(secret));
    assert.match(ok, /^HTTP\/1\.1 200 /, ok);
  });

  test("an error inside the request listener is a generic 500 and the runner keeps serving", async () => {
    failStatus = true;
    const broken = await status(Buffer.from(secret));
    failStatus = false;
    assert.match(broken, /^HTTP\/1\.1 500 /, broken);
    assert.match(broken, /"code":"InternalError"/);
    assert.doesNotMatch(broken, /boom/, "the internal message is not leaked");
    assert.ok(warnings.some((w) => /unexpected/.test(w)), "the error is logged");
    const ok = await status(Buffer.from(secret));
    assert.match(ok, /^HTTP\/1\.1 200 /, ok);
  });
});

describe("the front door's listener", () => {
  let server: Server;
  let port: number;
  let mode: "internal" | "log-throws" | "ok" = "ok";
  const logged: unknown[] = [];
  before(async () => {
    const pipeline = {
      handle: async (inv: { spec?: unknown }) => {
        if (mode !== "ok") throw new TypeError("an internal bug");
        inv.spec = functionSpec();
        return { kind: "success", payload: Buffer.from('{"fine":true}'), coldStart: false, start: "warm", durationMs: 1 };
      },
    } as unknown as InvocationPipeline;
    const log = {
      error: (obj: unknown) => {
        logged.push(obj);
        if (mode === "log-throws") throw new Error("the log is broken too");
      },
    };
    const frontDoor = createFrontDoor({ pipeline, log: log as never });
    server = createServer((req, res) => {
      if (!frontDoor(req, res)) {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test("an internal error is a logged generic 500 in each path's error shape, and the server keeps serving", async () => {
    mode = "internal";
    const hs = await fetch(`http://127.0.0.1:${port}/api/v1/functions/f/invoke`, { method: "POST", body: "{}" });
    assert.equal(hs.status, 500);
    const hsBody = (await hs.json()) as { error: { code: string; message: string } };
    assert.equal(hsBody.error.code, "InternalError");
    assert.doesNotMatch(hsBody.error.message, /internal bug/);
    const lambda = await fetch(`http://127.0.0.1:${port}/2015-03-31/functions/f/invocations`, { method: "POST", body: "{}" });
    assert.equal(lambda.status, 500);
    assert.equal(lambda.headers.get("x-amzn-errortype"), "ServiceException");
    assert.equal(((await lambda.json()) as { code: string }).code, "InternalError");
    assert.ok(logged.length >= 2, "each internal error is logged");
    mode = "log-throws";
    // The answer itself fails (the log throws while answering): the socket is dropped, the process lives.
    const dropped = await fetch(`http://127.0.0.1:${port}/api/v1/functions/f/invoke`, { method: "POST", body: "{}" }).then(
      (r) => r.status,
      () => 0,
    );
    assert.ok(dropped === 0 || dropped === 500, `got ${dropped}`);
    mode = "ok";
    const after = await fetch(`http://127.0.0.1:${port}/api/v1/functions/f/invoke`, { method: "POST", body: "{}" });
    assert.equal(after.status, 200);
  });
});
