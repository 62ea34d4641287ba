/**
 * Fleet chaos: one control plane, three `hotswap runner` processes on Postgres and Redis.
 *  - kill -9 of a runner under steady, bounded load (8 client loops for 6 s, 100 ms invocations);
 *  - provisioned concurrency placed again after a runner dies;
 *  - SIGTERM drain: the runner finishes its in-flight invocations, takes no new ones, deregisters.
 *   Needs Postgres and Redis (see tests/support/services.ts for how to start them).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { functionSpec } from "../support/function-spec.ts";
import { it, SkipError } from "../support/platform.ts";
import { waitFor, WaitForTimeoutError } from "../support/wait-for.ts";
import { alive, eventually, fleetSkipReason, startCluster, type Cluster, type RunnerProc } from "./support/cluster.ts";
import { deployWhoami, instancesOf, invoke, total, type Invocation } from "./support/functions.ts";
import { HEADER_CLUSTER_SECRET } from "../../protocol/fleet.ts";

const HEARTBEAT_MS = 1000;
/** How long after a kill -9 the control plane may still be writing to the dead runner's sockets. */
const KNOW_MS = 250;

describe("runner fleet: failures and drain", { timeout: 300_000 }, () => {
  let cluster: Cluster | undefined;
  let skip: string | undefined;
  before(async () => {
    skip = await fleetSkipReason();
    if (!skip) cluster = await startCluster({ runners: 3 });
  });
  after(async () => {
    await cluster?.close();
  });
  const c = (): Cluster => {
    if (skip) throw new SkipError(skip);
    return cluster!;
  };
  const runnerOf = (inv: Invocation): RunnerProc | undefined => c().runners.find((r) => r.pid === inv.body?.ppid);
  const listed = async (id: string) => ((await c().cp.api("GET", "/api/v1/runners")).json.runners as Array<{ id: string; status: string }>).find((r) => r.id === id);

  it(
    "kill -9 of a runner under steady load: every request is answered, in-flight ones on it get RunnerLost, new ones succeed on the survivors at once, and it leaves /api/v1/runners within 3 heartbeats",
    async () => {
      const { cp } = c();
      await deployWhoami(cp, "steady");
      const results: Invocation[] = [];
      const LOOPS = 8;
      const DURATION_MS = 6000;
      const t0 = Date.now();
      let killedAt = 0;
      let goneAfterMs: number | undefined;
      let lastBeatAt = 0; // the victim's last heartbeat, as the control plane listed it
      const victimInstances = new Set<number>();

      const load = Promise.all(
        Array.from({ length: LOOPS }, async () => {
          while (Date.now() - t0 < DURATION_MS) results.push(await invoke(cp, "steady", { sleepMs: 100 }, 15_000));
        }),
      );
      // Let the load settle on all three runners, then kill one without warning.
      await eventually("load on every runner", async () => new Set(results.filter((r) => r.status === 200).map((r) => runnerOf(r)?.id)).size === 3, 4000, 50);
      // The victim: a runner with invocations in flight right now (asked directly), so some are lost with it.
      const victim = await eventually("a runner with invocations in flight", async () => {
        const loads = await Promise.all(c().runners.map(async (r) => ({ r, n: (await r.status()).load.inflight as number })));
        const busiest = loads.sort((a, b) => b.n - a.n)[0];
        return busiest.n > 0 ? busiest.r : undefined;
      }, 3000, 10);
      for (const r of results) if (runnerOf(r) === victim) victimInstances.add(r.body.pid);
      victim.child.kill("SIGKILL");
      killedAt = Date.now();
      // Every 50 ms: note the victim's last heartbeat until it leaves the list. Still listed after
      // 10 s leaves goneAfterMs unset, which is asserted below with the other figures.
      const watch = waitFor(`runner ${victim.id} to leave /api/v1/runners`, async () => {
        const entry = (await listed(victim.id)) as { lastHeartbeatAt?: string } | undefined;
        if (entry === undefined) goneAfterMs = Date.now() - killedAt;
        else lastBeatAt = Date.parse(entry.lastHeartbeatAt!);
        return entry === undefined;
      }, { timeoutMs: 10_000, intervalMs: 50, retryErrors: false }).catch((err: unknown) => {
        if (!(err instanceof WaitForTimeoutError)) throw err;
      });
      await load;
      await watch;

      // Every request got an HTTP response.
      const noResponse = results.filter((r) => r.fetchError !== undefined);
      assert.equal(noResponse.length, 0, `no response: ${noResponse.map((r) => r.fetchError).join(", ")}`);
      const failed = results.filter((r) => r.status !== 200);
      const ok = results.filter((r) => r.status === 200);
      // Failures are only the invocations that were in flight on the dead runner: a clear RunnerLost error.
      assert.ok(failed.length >= 1 && failed.length <= LOOPS, `${failed.length} failures for ${LOOPS} concurrent loops`);
      for (const f of failed) {
        assert.equal(f.status, 502, f.text);
        assert.equal(f.body.error.code, "RunnerLost", f.text);
        assert.match(f.body.error.message, new RegExp(`runner ${victim.id} .*was lost while running this invocation.*not retried`));
        // In flight = sent before the control plane could know (a request written to a socket the dead runner's
        // kernel was closing at that very moment is in flight on it too; the grace covers that window).
        assert.ok(f.startedAt <= killedAt + KNOW_MS, `a request started ${f.startedAt - killedAt} ms after the kill failed: ${f.text}`);
      }
      // New requests succeeded on the survivors from the first second (connection failures were retried).
      const afterKill = results.filter((r) => r.startedAt > killedAt + KNOW_MS);
      assert.ok(afterKill.every((r) => r.status === 200), "every request started after the kill succeeded");
      const firstSecond = afterKill.filter((r) => r.startedAt < killedAt + 1000);
      assert.ok(firstSecond.length >= LOOPS, `only ${firstSecond.length} requests in the first second after the kill`);
      for (const r of afterKill) assert.notEqual(runnerOf(r), victim, "served by the dead runner");
      assert.ok(ok.length > LOOPS * 5, `only ${ok.length} successful requests`);
      console.log(
        `# kill -9 ${victim.id}: ${results.length} requests, ${ok.length} ok, ${failed.length} RunnerLost (in flight on it), ` +
          `${firstSecond.length} ok in the first second after the kill, left /api/v1/runners ${goneAfterMs} ms after the kill ` +
          `(${killedAt + goneAfterMs! - lastBeatAt} ms after its last heartbeat)`,
      );
      // Gone from the list within 3 heartbeats (plus the 100 ms registry sweep and this test's 50 ms poll).
      // 3 intervals after its last heartbeat, plus the 100 ms registry sweep and this test's 50 ms poll.
      assert.ok(goneAfterMs !== undefined, "still listed 10 s after the kill");
      const sinceLastBeat = killedAt + goneAfterMs - lastBeatAt;
      assert.ok(sinceLastBeat <= 3 * HEARTBEAT_MS + 300, `listed for ${sinceLastBeat} ms after its last heartbeat`);
      assert.ok(goneAfterMs <= 3 * HEARTBEAT_MS + 500, `listed for ${goneAfterMs} ms after the kill`);
      // Its function instances did not outlive it.
      await eventually("the dead runner's instances to exit", async () => [...victimInstances].every((pid) => !alive(pid)), 5000);
      const code = await victim.exited;
      assert.equal(code, null);
    },
    { timeout: 60_000 },
  );

  it("places provisioned concurrency again on the survivors when a runner dies", async () => {
    const cl = c();
    // Back to three runners (the previous test killed one).
    const dead = cl.runners.find((r) => r.child.exitCode !== null || r.child.signalCode !== null);
    if (dead) cl.runners.splice(cl.runners.indexOf(dead), 1);
    if (cl.runners.length < 3) await cl.startRunner("r4");
    await cl.waitForRunners(cl.runners.map((r) => r.id));
    const { cp } = cl;
    await deployWhoami(cp, "prov");
    const put = await cp.api("PUT", "/api/v1/functions/prov", { provisionedConcurrency: 3 });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.provisionedConcurrency, 3);
    // Initialised without any invocation, spread one per runner.
    const placed = await eventually("3 provisioned instances", async () => {
      const m = await instancesOf(cp, "prov");
      return total(m, "held") === 3 && total(m, "instances") >= 3 && [...m.values()].every((v) => v.held === 1) ? m : undefined;
    }, 15_000);
    assert.equal(placed.size, 3);
    // Fencing: a command carrying an older leader token than the runner has seen changes nothing.
    const sha = (await cp.api("GET", "/api/v1/functions/prov/versions/1")).json.codeSha256;
    const spec = functionSpec({ functionName: "prov", memorySize: 256, timeout: 30, codeSha256: sha });
    const stale = await fetch(`${cl.runners[1].url}/v1/provision`, {
      method: "POST",
      headers: { [HEADER_CLUSTER_SECRET]: cl.secret, "content-type": "application/json" },
      body: JSON.stringify({ spec, count: 0, holdMs: 0, leaderToken: 0 }),
    });
    assert.deepEqual(await stale.json(), { live: 1, applied: false });
    const victim = cl.runners[0];
    victim.child.kill("SIGKILL");
    const killedAt = Date.now();
    await victim.exited;
    const restored = await eventually("3 provisioned instances on the survivors", async () => {
      const m = await instancesOf(cp, "prov");
      return !m.has(victim.id) && total(m, "held") === 3 && total(m, "instances") >= 3 ? m : undefined;
    }, 15_000);
    assert.equal(restored.size, 2);
    const took = Date.now() - killedAt;
    assert.ok(took < 3 * HEARTBEAT_MS + 4000, `restored ${took} ms after the kill`);
    // The provisioned instances serve warm.
    const r = await invoke(cp, "prov");
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get("x-hotswap-cold-start"), "false");
    cl.runners.splice(cl.runners.indexOf(victim), 1);
    const off = await cp.api("PUT", "/api/v1/functions/prov", { provisionedConcurrency: 0 });
    assert.equal(off.status, 200, off.text);
    await eventually("the holds to be dropped", async () => total(await instancesOf(cp, "prov"), "held") === 0, 10_000);
  });

  it("a draining runner finishes its in-flight invocations, takes no new ones, deregisters and exits 0", async () => {
    const cl = c();
    if (cl.runners.length < 3) await cl.startRunner("r5");
    await cl.waitForRunners(cl.runners.map((r) => r.id));
    const { cp } = cl;
    await deployWhoami(cp, "slow");
    const inflight = Array.from({ length: 6 }, () => invoke(cp, "slow", { sleepMs: 2500 }));
    // Once all six are on runners (asked directly, no heartbeat lag), drain one that runs some of them.
    const loads = await eventually("the 6 invocations on runners", async () => {
      const l = await Promise.all(cl.runners.map(async (r) => ({ r, n: (await r.status()).load.inflight as number })));
      return l.reduce((a, x) => a + x.n, 0) === 6 ? l : undefined;
    }, 5000, 50);
    const { r: victim, n: busy } = loads.sort((a, b) => b.n - a.n)[0];
    victim.child.kill("SIGTERM");
    const termAt = Date.now();
    await eventually("the runner to be listed as draining", async () => (await listed(victim.id))?.status === "draining", 2000, 50);
    // New work during the drain goes to the others and succeeds.
    const during: Invocation[] = [];
    while (Date.now() - termAt < 1500) during.push(await invoke(cp, "slow", { sleepMs: 10 }));
    for (const r of during) {
      assert.equal(r.status, 200, r.text);
      assert.notEqual(runnerOf(r), victim);
    }
    const done = await Promise.all(inflight);
    for (const r of done) assert.equal(r.status, 200, r.text);
    const onVictim = done.filter((r) => runnerOf(r) === victim);
    assert.equal(onVictim.length, busy, "every invocation the runner had in flight finished there");
    for (const r of onVictim) assert.ok(r.endedAt > termAt + 1000, "it was still running when SIGTERM came");
    assert.equal(await victim.exited, 0);
    // Deregistered on exit: gone at once, not after 3 missed heartbeats.
    const exitAt = Date.now();
    await eventually("the runner to leave the list", async () => (await listed(victim.id)) === undefined, 1000, 25);
    assert.ok(Date.now() - exitAt < 1000);
    for (const r of onVictim) assert.equal(alive(r.body.pid), false, "its instances were stopped");
    // runner_nodes keeps the record: listed with ?include=gone as stopped (not dead).
    await eventually("runner_nodes to record the stop", async () => {
      const rows = (await cp.api("GET", "/api/v1/runners?include=gone")).json.runners as Array<{ id: string; status: string }>;
      return rows.find((r) => r.id === victim.id)?.status === "stopped";
    }, 5000);
    cl.runners.splice(cl.runners.indexOf(victim), 1);
  });
});
