/**
 * Response streaming through the fleet: a control plane and a `hotswap runner` process (Postgres,
 * Redis), a streaming Node handler on the runner. HotSwap's invoke path gets its first bytes while
 * the handler still waits on the test's signal server, the rest and the end once released; a
 * buffered Lambda Invoke gets the whole response.
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { deployFunction } from "../support/deploy.ts";
import { it, SkipError } from "../support/platform.ts";
import { startSignalServer, type SignalServer } from "../support/signal-server.ts";
import { invokeRaw } from "../support/streamed-invoke.ts";
import { waitFor } from "../support/wait-for.ts";
import { fleetSkipReason, startCluster, type Cluster } from "./support/cluster.ts";

describe("response streaming across the fleet", { timeout: 180_000 }, () => {
  let cluster: Cluster | undefined;
  let skip: string | undefined;
  let signals: SignalServer;
  before(async () => {
    skip = await fleetSkipReason();
    if (skip) return;
    cluster = await startCluster({ runners: 1 });
    await cluster.waitForRunners(["r1"]);
    signals = await startSignalServer();
  });
  after(async () => {
    await signals?.close();
    await cluster?.close();
  });
  const c = (): Cluster => {
    if (skip) throw new SkipError(skip);
    return cluster!;
  };

  it("streams a handler on a runner process chunked, the first bytes before it ends", async () => {
    const cp = c().cp;
    await deployFunction(cp, { name: "fleet-stream", timeout: 30, code: { fixture: "node-streaming" } });
    const r = await invokeRaw(cp, "/api/v1/functions/fleet-stream/invoke", { signal: signals.url("fleet") });
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "text/plain");
    assert.equal(r.headers["transfer-encoding"], "chunked");
    await waitFor("the first chunk", () => r.chunks.join("") === "first;", { timeoutMs: 30_000 });
    await signals.arrived("fleet"); // the handler, on the runner, still waits
    signals.release("fleet");
    const trailers = await r.done;
    assert.equal(r.chunks.join(""), "first;second;third");
    assert.equal(trailers["x-hotswap-function-error"], undefined);

    const failed = await invokeRaw(cp, "/api/v1/functions/fleet-stream/invoke", { fail: true });
    const failedTrailers = await failed.done;
    assert.equal(failed.chunks.join(""), "first;second;");
    assert.equal(failedTrailers["x-hotswap-function-error"], "Unhandled");

    const buffered = await cp.api("POST", "/2015-03-31/functions/fleet-stream/invocations", {});
    assert.equal(buffered.status, 200);
    assert.equal(buffered.text, "first;second;third");
    assert.equal(buffered.headers.get("content-type"), "text/plain");
  }, { timeout: 120_000 });
});
