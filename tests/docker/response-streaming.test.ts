/**
 * Response streaming on the docker backend (host network, so the container reaches the test's
 * signal server on loopback): a Node handler wrapped in awslambda.streamifyResponse, on the fast
 * channel and on the Runtime API, streams HotSwap's invoke path chunked with the first bytes out
 * while the handler still waits, and ends InvokeWithResponseStream with its error mid-stream.
 * Needs the node images built from this bootstrap (`npm run images -- --offline --only nodejs20,nodejs22`).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { InvokeWithResponseStreamCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { it, startPlatform, type TestPlatform } from "../support/platform.ts";
import { deployFunction } from "../support/deploy.ts";
import { startSignalServer, type SignalServer } from "../support/signal-server.ts";
import { invokeRaw, readEvents } from "../support/streamed-invoke.ts";
import { waitFor } from "../support/wait-for.ts";
import { dockerSkipReason, testRunnerId } from "./support.ts";

const skip = await dockerSkipReason();

describe("response streaming on the docker backend", { skip }, () => {
  let p: TestPlatform;
  let lambda: LambdaClient;
  let signals: SignalServer;
  before(async () => {
    p = await startPlatform("embedded", { RUNNER_BACKEND: "docker", RUNNER_DOCKER_NETWORK: "host", RUNNER_ID: testRunnerId("streaming") });
    const [, id, secret] = /^hs_([a-z0-9]+)_(.+)$/.exec(p.key)!;
    lambda = new LambdaClient({ endpoint: p.url, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: `hs_${id}`, secretAccessKey: secret! } });
    signals = await startSignalServer();
  });
  after(async () => {
    lambda?.destroy();
    await signals?.close();
    await p?.close();
  });

  for (const protocol of ["fast", "runtime-api"] as const) {
    it(`streams HotSwap's invoke path chunked before the handler ends, and InvokeWithResponseStream's error mid-stream (${protocol})`, async () => {
      const name = `docker-stream-${protocol === "fast" ? "f" : "r"}`;
      await deployFunction(p, { name, protocol, timeout: 30, code: { fixture: "node-streaming" } });
      const sig = `docker-${protocol}`;
      const r = await invokeRaw(p, `/api/v1/functions/${name}/invoke`, { signal: signals.url(sig) });
      assert.equal(r.status, 200);
      assert.equal(r.headers["transfer-encoding"], "chunked");
      await waitFor("the first chunk", () => r.chunks.join("") === "first;", { timeoutMs: 30_000 });
      await signals.arrived(sig); // the handler is still waiting: the chunk came while it ran
      signals.release(sig);
      await r.done;
      assert.equal(r.chunks.join(""), "first;second;third");

      const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: JSON.stringify({ fail: true }) }));
      const { text, complete } = await readEvents(out);
      assert.equal(text, "first;second;");
      assert.deepEqual(complete, { ErrorCode: "Error", ErrorDetails: "boom mid-stream" });
    }, { timeout: 120_000 });
  }
});
