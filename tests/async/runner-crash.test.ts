/**
 * Work survives a runner's death: a control plane (fleet mode) with two `hotswap runner` processes
 * on the real Postgres and Redis; asynchronous invocations are queued and running on both runners
 * when one is killed with SIGKILL. Every event ends Succeeded, or DeadLettered in its on-failure
 * destination (a function that marks what it receives); none is lost. The runs that were in flight
 * on the dead runner fail with RunnerLost: half the events (function "work") are retried on the
 * survivor, and the test counts those duplicate runs (from the handler's own marks) and prints them
 * next to what the records say; the other half ("once", maximumRetryAttempts 0) go to the
 * destination instead.
 */
import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { apiOf, deployFunction, expectOk, nodeCode } from "../support/deploy.ts";
import { it, SkipError } from "../support/platform.ts";
import { waitFor } from "../support/wait-for.ts";
import { fleetSkipReason, startCluster, type Cluster } from "../fleet/support/cluster.ts";
import { allFinal, FAST_ASYNC_ENV } from "./support.ts";
import { MARKS_RUNS, runsPerEvent } from "./runs-marks.ts";

const EVENTS = 40;
const CONCURRENCY = 8;

/** The on-failure destination: one mark per destination record, named after the failed request id. */
const DLQ_SINK = `const fs = require("fs"); const path = require("path");
exports.handler = async (event) => { fs.writeFileSync(path.join(process.env.DLQ_DIR, event.requestContext.requestId), JSON.stringify(event.requestContext)); return {}; };`;

describe("asynchronous invocations when a runner is killed", { timeout: 300_000 }, () => {
  let cluster: Cluster | undefined;
  let skip: string | undefined;
  const dirs: string[] = [];
  before(async () => {
    skip = await fleetSkipReason();
    if (!skip) cluster = await startCluster({ runners: 2, controlPlaneEnv: { ...FAST_ASYNC_ENV, HOTSWAP_ASYNC_CONCURRENCY: String(CONCURRENCY) } });
  });
  after(async () => {
    await cluster?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("every event ends Succeeded or in the on-failure destination; runs lost with the runner run again on the survivor, counted", async () => {
    if (skip) throw new SkipError(skip);
    const c = cluster!;
    const runs = await mkdtemp(join(tmpdir(), "hs-runs-"));
    const dlq = await mkdtemp(join(tmpdir(), "hs-dlq-"));
    dirs.push(runs, dlq);
    for (const d of [runs, dlq]) await chmod(d, 0o777); // sandboxed instances run as their own uid
    await deployFunction(c.cp, { name: "sink", environment: { DLQ_DIR: dlq }, code: nodeCode(DLQ_SINK) });
    const api = apiOf(c.cp);
    // "work" retries (Lambda's default 2); "once" has no retry, so a run lost with the runner goes to the destination.
    for (const [name, maximumRetryAttempts] of [["work", 2], ["once", 0]] as const) {
      await deployFunction(c.cp, { name, environment: { RUNS_DIR: runs }, code: nodeCode(MARKS_RUNS) });
      expectOk(await api.async.putConfig(name, { maximumRetryAttempts, destinationConfig: { onFailure: { destination: "function:sink" } } }), "event-invoke-config");
    }
    const ids: string[] = [];
    for (let n = 0; n < EVENTS; n++) ids.push(expectOk(await api.async.invoke(n % 2 ? "once" : "work", { n }), `queueing event ${n}`).requestId);
    // The victim: a runner with invocations in flight right now.
    const victim = await waitFor("a runner with asynchronous invocations in flight", async () => {
      const loads = await Promise.all(c.runners.map(async (r) => ({ r, n: (await r.status()).load.inflight as number })));
      const busiest = loads.sort((a, b) => b.n - a.n)[0]!;
      return busiest.n >= 2 ? busiest : undefined;
    }, { timeoutMs: 60_000, intervalMs: 20 });
    victim.r.child.kill("SIGKILL");
    await victim.r.exited;
    const startedBefore = (await readdir(runs)).length;

    const finals = await allFinal(api, ids, 120_000);
    const byStatus = (s: string) => finals.filter((f) => f.status === s);
    assert.deepEqual(finals.filter((f) => f.status !== "Succeeded" && f.status !== "DeadLettered").map((f) => [f.requestId, f.status, f.error]), [], "none Failed (lost)");
    for (const f of byStatus("Succeeded")) assert.equal(JSON.parse(f.result!).n, ids.indexOf(f.requestId));
    // A dead-lettered event's record reached the destination function.
    const delivered = new Set(await waitFor("the dead-lettered records at the destination", async () => {
      const got = await readdir(dlq);
      return got.length >= byStatus("DeadLettered").length ? got : undefined;
    }));
    for (const f of byStatus("DeadLettered")) {
      assert.equal(f.functionName, "once", "an event with retries left is retried, not dead-lettered");
      assert.equal(f.error?.errorType, "RunnerLost");
      assert.equal(f.destination, "function:sink");
      assert.ok(delivered.has(f.requestId), `${f.requestId} is in the on-failure destination`);
    }

    const perEvent = await runsPerEvent(runs);
    // Every event ran, except one lost with the runner before its handler started and then
    // dead-lettered (its function allows no retry): RunnerLost, and its record is at the destination.
    const lostUnrun = new Set(byStatus("DeadLettered").map((f) => f.requestId).filter((id) => !perEvent.has(id)));
    assert.deepEqual([...perEvent.keys(), ...lostUnrun].sort(), [...ids].sort(), "every event ran, or was lost with the runner and dead-lettered");
    const again = finals.filter((f) => perEvent.get(f.requestId)! > 1);
    const lostAttempts = finals.flatMap((f) => f.attempts.filter((a) => a.error?.errorType === "RunnerLost").map(() => f.requestId));
    const totalRuns = [...perEvent.values()].reduce((a, b) => a + b, 0);
    console.log(
      `runner ${victim.r.id} killed with ${victim.n} in flight (${startedBefore} of ${EVENTS} runs started): ${byStatus("Succeeded").length} Succeeded, ` +
        `${byStatus("DeadLettered").length} DeadLettered, 0 lost; ${totalRuns} runs, ${again.length} events ran more than once, ` +
        `${lostAttempts.length} attempts recorded as RunnerLost, ${finals.reduce((s, f) => s + f.duplicates, 0)} duplicates counted in records`,
    );
    assert.ok(lostAttempts.length >= 1, "the kill cut at least one run short");
    // Every event that ran twice has the RunnerLost attempt that explains it, counted as a duplicate.
    assert.deepEqual(again.filter((f) => !lostAttempts.includes(f.requestId) || f.duplicates < 1).map((f) => f.requestId), [], "every repeated run is recorded and counted");
    assert.ok(again.length <= CONCURRENCY, "only events in flight on the dead runner ran again");
  });
});
