/**
 * Runners over TLS: a `hotswap runner` with HOTSWAP_RUNNER_TLS_CERT/KEY (a certificate from a test
 * CA made at test time) serves its API over HTTPS and advertises an https:// address; the control
 * plane, trusting the CA through HOTSWAP_RUNNER_TLS_CA, routes invocations to it. The runner refuses
 * plain HTTP, and a client that does not trust the CA cannot talk to it.
 *   Needs Postgres and Redis (see tests/support/services.ts for how to start them).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { it, SkipError } from "../support/platform.ts";
import { makeTestCa, type TestCa } from "../support/tls-certs.ts";
import { fleetSkipReason, startCluster, type Cluster } from "./support/cluster.ts";
import { deployWhoami, invoke } from "./support/functions.ts";
import { Redis } from "ioredis";
import { setTimeout as sleep } from "node:timers/promises";
import { HEARTBEAT_CHANNEL, runnerKey } from "../../protocol/fleet.ts";
import { TEST_REDIS_URL } from "../support/services.ts";
import { heartbeatJson } from "../support/heartbeat.ts";
import { RunnerClient } from "../../platform/src/fleet/runner-client.ts";

/**
 * A cluster of one control plane and one TLS runner for a describe block: a test CA made in
 * `before`, the runner's certificate from `issue`, the control plane's extra settings from `cpEnv`.
 */
function tlsCluster(issue: (ca: TestCa) => { certFile: string; keyFile: string }, cpEnv: (ca: TestCa) => Record<string, string>): { c: () => Cluster; ca: () => TestCa } {
  let cluster: Cluster | undefined;
  let skip: string | undefined;
  let dir: string;
  let ca: TestCa;
  before(async () => {
    skip = await fleetSkipReason();
    if (skip) return;
    dir = await mkdtemp(join(tmpdir(), "hs-runner-tls-"));
    ca = makeTestCa(dir);
    const runnerCert = issue(ca);
    cluster = await startCluster({
      runners: 1,
      runnerEnv: { HOTSWAP_RUNNER_TLS_CERT: runnerCert.certFile, HOTSWAP_RUNNER_TLS_KEY: runnerCert.keyFile },
      controlPlaneEnv: { HOTSWAP_RUNNER_TLS_CA: ca.caFile, ...cpEnv(ca) },
    });
  });
  after(async () => {
    await cluster?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const c = (): Cluster => {
    if (skip) throw new SkipError(skip);
    return cluster!;
  };
  return { c, ca: () => ca };
}

describe("runner fleet over TLS", { timeout: 180_000 }, () => {
  const { c, ca: testCa } = tlsCluster((ca) => ca.issue("runner"), () => ({}));

  it("registers with an https:// address and runs invocations routed to it over TLS", async () => {
    const list = await c().cp.api("GET", "/api/v1/runners");
    const address = (list.json.runners as Array<{ address: string }>)[0]!.address;
    assert.match(address, /^https:\/\/127\.0\.0\.1:\d+$/);
    await deployWhoami(c().cp, "tls-whoami");
    const inv = await invoke(c().cp, "tls-whoami");
    assert.equal(inv.status, 200, inv.text);
    assert.equal(inv.body.ppid, c().runners[0]!.pid, "the runner process ran it");

    // Plain HTTP to the runner's port gets no answer; an HTTPS client without the CA refuses the certificate.
    const plain = await fetch(address.replace("https:", "http:") + "/health").then(
      (r) => r.status,
      () => "refused",
    );
    assert.notEqual(plain, 200);
    const untrusted = await new Promise<string>((resolve) => httpsGet(`${address}/health`, (r) => (r.resume(), resolve(`status ${r.statusCode}`))).on("error", (e) => resolve(e.message)));
    assert.match(untrusted, /self-signed|self signed|unable to verify/i);
    const trusted = await new Promise<number>((resolve, reject) => httpsGet(`${address}/health`, { ca: testCa().ca }, (r) => (r.resume(), resolve(r.statusCode!))).on("error", reject));
    assert.equal(trusted, 200);
  });

  it("ignores a heartbeat written to Redis without the cluster secret: the forged runner is never listed nor sent work", async () => {
    const real = (await c().cp.api("GET", "/api/v1/runners")).json.runners[0];
    const forged = heartbeatJson({ id: "forged", bootId: "forged-boot", address: "http://127.0.0.1:9" });
    const redis = new Redis(TEST_REDIS_URL);
    try {
      // What a writer with Redis access but no secret can do: the runner record and the channel, unsigned.
      await redis.hset(`${c().redisPrefix}${runnerKey("forged")}`, { hb: forged });
      await redis.publish(`${c().redisPrefix}${HEARTBEAT_CHANNEL}`, forged);
      // And a beat "from" the real runner that points it elsewhere.
      await redis.publish(`${c().redisPrefix}${HEARTBEAT_CHANNEL}`, heartbeatJson({ id: real.id, bootId: "another-boot", address: "http://127.0.0.1:9", seq: 1_000_000 }));
      // The real runner's next signed beats keep arriving; after two of them, nothing forged took hold.
      await sleep(2500);
      const runners = (await c().cp.api("GET", "/api/v1/runners")).json.runners as Array<{ id: string; address: string }>;
      assert.deepEqual(runners.map((r) => r.id), [real.id]);
      assert.equal(runners[0]!.address, real.address);
      const inv = await invoke(c().cp, "tls-whoami");
      assert.equal(inv.status, 200, inv.text);
    } finally {
      redis.disconnect();
    }
  });
});

describe("runner certificates for a DNS name, checked through HOTSWAP_RUNNER_TLS_SERVERNAME", { timeout: 180_000 }, () => {
  const NAME = "runner.hotswap.internal";
  const { c, ca } = tlsCluster(
    // As cert-manager would issue it in a cluster: a service name, no pod IP in it.
    (ca) => ca.issue("runner-by-name", [NAME]),
    () => ({ HOTSWAP_RUNNER_TLS_SERVERNAME: NAME }),
  );

  it("the control plane reaches a runner whose certificate names it only by DNS name; without the setting the same certificate is refused", async () => {
    await deployWhoami(c().cp, "tls-name-whoami");
    const inv = await invoke(c().cp, "tls-name-whoami");
    assert.equal(inv.status, 200, inv.text);
    assert.equal(inv.body.ppid, c().runners[0]!.pid, "the runner process ran it");

    const address = ((await c().cp.api("GET", "/api/v1/runners")).json.runners as Array<{ address: string }>)[0]!.address;
    assert.match(address, /^https:\/\/127\.0\.0\.1:\d+$/);
    const byAddress = new RunnerClient(address, c().secret, { ca: ca().ca });
    const byName = new RunnerClient(address, c().secret, { ca: ca().ca, servername: NAME });
    try {
      const refused = await byAddress.runtimes();
      assert.equal(refused.ok, false);
      assert.match(refused.ok ? "" : refused.error, /altnames|hostname|IP: 127\.0\.0\.1/i);
      const ok = await byName.runtimes();
      assert.equal(ok.ok, true, ok.ok ? "" : ok.error);
    } finally {
      await byAddress.close();
      await byName.close();
    }
  });
});
