/**
 * Fleet: a function's secret travels to a `hotswap runner` process (over the fleet protocol, in the
 * version's spec) and reaches the handler's environment, while the runner's own output (its log at
 * debug level) never contains it.
 *   Needs Postgres and Redis (see tests/support/services.ts for how to start them).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { randomBytes } from "node:crypto";
import { it, SkipError } from "../support/platform.ts";
import { fleetSkipReason, startCluster, type Cluster } from "./support/cluster.ts";
import { deployFunction, invokeFunction, nodeCode } from "../support/deploy.ts";

const DB_PASSWORD = `pw-${randomBytes(16).toString("hex")}`;

describe("runner fleet: function secrets", { timeout: 180_000 }, () => {
  let cluster: Cluster | undefined;
  let skip: string | undefined;
  before(async () => {
    skip = await fleetSkipReason();
    if (!skip) cluster = await startCluster({ runners: 1, controlPlanes: 1, runnerEnv: { LOG_LEVEL: "debug" } });
  });
  after(async () => {
    await cluster?.close();
  });
  const c = (): Cluster => {
    if (skip) throw new SkipError(skip);
    return cluster!;
  };

  it("delivers the secret to the handler on a runner process and keeps it out of the runner's log", async () => {
    const cp = c().cp;
    await deployFunction(cp, {
      name: "fleet-secret",
      secrets: { DB_PASSWORD },
      code: nodeCode("exports.handler = async () => ({ reversed: (process.env.DB_PASSWORD || '').split('').reverse().join(''), ppid: process.ppid });"),
    });
    const res = await invokeFunction(cp, "fleet-secret");
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.reversed, DB_PASSWORD.split("").reverse().join(""));
    assert.equal(res.json.ppid, c().runners[0]!.pid, "the runner process ran it");
    assert.ok(!c().runners[0]!.output().includes(DB_PASSWORD), "the runner's output contains the secret");
    assert.deepEqual((await cp.api("GET", "/api/v1/functions/fleet-secret")).json.secrets, { DB_PASSWORD: "***" });
  });
});
