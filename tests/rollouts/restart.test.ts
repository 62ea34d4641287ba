/**
 * Chaos: the control plane is SIGKILLed mid-canary and a new one is started on the same Postgres
 * and Redis. The new process takes the rollout leader lease, resumes the deployment from its
 * persisted state within 5 s of serving, writes no weights the deployment did not plan, and
 * completes the rollout. Both control planes are real `hotswap server` processes.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { TEST_REDIS_URL, createTestDatabase, serviceSkipReason, TEST_DATABASE_URL } from "../support/services.ts";
import { apiClient, type TestPlatform } from "../support/platform.ts";
import { spawnServer } from "../support/cli.ts";
import { waitFor } from "../support/wait-for.ts";
import { CODE, createLiveFunction, finished, startDeployment, startLoad, waitForDeployment } from "./support.ts";


interface ControlPlane {
  child: ChildProcess;
  url: string;
  /** When it printed its URL. */
  readyAt: number;
  output(): string;
  exited: Promise<number | null>;
}

async function startControlPlane(env: Record<string, string>): Promise<ControlPlane> {
  const { child, output, exited } = spawnServer(env);
  const serving = () => {
    const m = /serving on (http:\/\/\S+)/.exec(output());
    if (!m && child.exitCode !== null) throw new Error(`control plane did not start:\n${output()}`);
    return m;
  };
  // An exit ends the wait at once; at the deadline the error carries everything it printed.
  const m = await waitFor("the control plane to print its URL", serving, { timeoutMs: 30_000, intervalMs: 25, retryErrors: false, show: () => `its output:\n${output()}` });
  return { child, url: m[1]!, readyAt: Date.now(), output, exited };
}

/** The TestPlatform helpers' view of a control-plane process. */
function asPlatform(cp: ControlPlane, key: string): TestPlatform {
  return {
    url: cp.url,
    key,
    server: undefined as never,
    close: async () => {},
    api: apiClient(cp.url, key),
  };
}

test("a control plane killed mid-canary is replaced: the new leader resumes within 5 s, writes only planned weights, and completes", { timeout: 120_000 }, async (t) => {
  const skip = (await serviceSkipReason("postgres", TEST_DATABASE_URL)) ?? (await serviceSkipReason("redis", TEST_REDIS_URL));
  if (skip) return t.skip(skip);
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), "hs-restart-"));
  const { key } = generateApiKey();
  const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, HOTSWAP_DATA_DIR: dataDir, HOTSWAP_ADMIN_KEY: key, PORT: "0", HOST: "127.0.0.1" };
  const planes: ControlPlane[] = [];
  try {
    const first = await startControlPlane(env);
    planes.push(first);
    const p1 = asPlatform(first, key);
    await createLiveFunction(p1, "chaos", [CODE.ok("v1"), CODE.ok("v2")]);
    const load1 = startLoad(p1, "chaos", { concurrency: 3 });
    const id = await startDeployment(p1, {
      functionName: "chaos",
      version: 2,
      strategy: "Canary",
      config: { canaryPercentage: 30, canaryDuration: "PT5S" },
      analysis: { interval: "PT1S", minRequests: 5, maxErrorRate: 0.05 },
    });
    const mid = await waitForDeployment(p1, id, (d) => d.phase === "canary");
    await new Promise((r) => setTimeout(r, 1000));
    first.child.kill("SIGKILL");
    const killedAt = Date.now();
    await first.exited;
    await load1.stop();

    const second = await startControlPlane(env);
    planes.push(second);
    const p2 = asPlatform(second, key);
    const load2 = startLoad(p2, "chaos", { concurrency: 3 });
    try {
      const done = await waitForDeployment(p2, id, finished, 40_000);
      assert.equal(done.status, "Succeeded", `${done.reason}\n${second.output()}`);
      // Resumed: the new leader's first write came within 5 s of the new process serving.
      const resumed = done.events.find((e: any) => Date.parse(e.at) > killedAt);
      assert.ok(resumed, "the new leader wrote events");
      const resumeMs = Date.parse(resumed.at) - second.readyAt;
      assert.ok(resumeMs < 5000, `resumed ${resumeMs} ms after the new control plane was serving (event: ${resumed.type} ${resumed.reason})`);
      t.diagnostic(`killed at canary ${mid.progress}%; new control plane serving ${second.readyAt - killedAt} ms after the kill; resumed ${resumeMs} ms later`);
      // Only planned weights: the canary split, then 100 %.
      const planned = [JSON.stringify({ "2": 0.3 }), JSON.stringify({})];
      for (const c of done.aliasChanges) {
        assert.ok(planned.includes(JSON.stringify(c.after.routingConfig.additionalVersionWeights)), `unplanned alias write: ${JSON.stringify(c.after)}`);
      }
      const versions = done.aliasChanges.map((c: any) => c.after.version);
      assert.deepEqual(versions.slice(-1), [2]);
      const weightEvents = done.events.filter((e: any) => e.weights).map((e: any) => JSON.stringify(e.weights));
      for (const w of weightEvents) {
        assert.ok([JSON.stringify({ "1": 1 }), JSON.stringify({ "1": 0.7, "2": 0.3 }), JSON.stringify({ "2": 1 })].includes(w), `unplanned weights ${w}`);
      }
      assert.equal((await p2.api("GET", "/api/v1/functions/chaos/aliases/live")).json.version, 2);
    } finally {
      const results = await load2.stop();
      assert.ok(results.length > 0 && results.every((r) => r.status === 200), "the new control plane served every request");
    }
  } finally {
    for (const cp of planes) {
      if (cp.child.exitCode === null && cp.child.signalCode === null) {
        cp.child.kill("SIGTERM");
        await cp.exited;
      }
    }
    await db.drop().catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  }
});
