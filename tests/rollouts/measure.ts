/**
 * Measures the two rollout figures the issue asks for (not part of `npm test`):
 *   1. rollback reaction time: from the first failed response of a bad canary (a version that
 *      throws on half its calls, under steady load) to the alias restored (its audit row);
 *   2. weighted-split accuracy: 10,000 resolutions in the routing table per weight, and 10,000
 *      invocations end to end through a 30 % canary.
 *
 *   node --import tsx tests/rollouts/measure.ts [embedded|servers] [trials]
 */
import { pickAliasVersion } from "../../platform/src/router/routing-table.ts";
import { startPlatform, type Mode, type TestPlatform } from "../support/platform.ts";
import { CODE, createLiveFunction, finished, invokeLive, startDeployment, startLoad, waitForDeployment } from "./support.ts";

const mode = (process.argv[2] ?? "embedded") as Mode;
const trials = Number(process.argv[3] ?? 5);

async function reactionTime(p: TestPlatform, trial: number): Promise<number> {
  const name = `measure-rb-${trial}`;
  await createLiveFunction(p, name, [CODE.ok("v1"), CODE.flaky()]);
  const load = startLoad(p, name, { concurrency: 4, maxMs: 60_000 });
  await new Promise((r) => setTimeout(r, 300));
  const id = await startDeployment(p, {
    functionName: name,
    version: 2,
    strategy: "Canary",
    config: { canaryPercentage: 50, canaryDuration: "PT5M" },
    analysis: { interval: "PT1S", minRequests: 10, maxErrorRate: 0.1 },
  });
  const done = await waitForDeployment(p, id, finished, 30_000);
  const results = await load.stop();
  if (done.status !== "RolledBack") throw new Error(`trial ${trial}: ${done.status} ${done.reason}`);
  const firstBad = Math.min(...results.filter((r) => r.version === "2" && r.status !== 200).map((r) => r.at));
  const restored = Date.parse(done.aliasChanges.at(-1).at);
  console.log(`  trial ${trial}: ${restored - firstBad} ms (${done.reason})`);
  return restored - firstBad;
}

function routingSplit(weight: number): number {
  const route = { version: 1, extra: [[2, weight]] as Array<[number, number]> };
  let hits = 0;
  for (let i = 0; i < 10_000; i++) if (pickAliasVersion(route) === 2) hits++;
  return hits / 100;
}

async function endToEndSplit(p: TestPlatform, n: number): Promise<number> {
  await createLiveFunction(p, "measure-split", [CODE.ok("v1"), CODE.ok("v2")]);
  const id = await startDeployment(p, {
    functionName: "measure-split",
    version: 2,
    strategy: "Canary",
    config: { canaryPercentage: 30, canaryDuration: "PT1H" },
    analysis: { interval: "PT1S", minRequests: 10 },
  });
  await waitForDeployment(p, id, (d) => d.phase === "canary");
  let sent = 0;
  let v2 = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (sent < n) {
        sent++;
        if ((await invokeLive(p, "measure-split")).version === "2") v2++;
      }
    }),
  );
  console.log(`  ${sent} invocations in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await p.api("POST", `/api/v1/deployments/${id}/rollback`, {});
  return (100 * v2) / sent;
}

const p = await startPlatform(mode);
try {
  console.log(`mode: ${mode}`);
  console.log("rollback reaction time (first failed response → alias restored), canary 50%, interval PT1S, minRequests 10, maxErrorRate 10%:");
  const times: number[] = [];
  for (let i = 1; i <= trials; i++) times.push(await reactionTime(p, i));
  times.sort((a, b) => a - b);
  console.log(`  min ${times[0]} ms, median ${times[Math.floor(times.length / 2)]} ms, max ${times.at(-1)} ms`);
  console.log("weighted split, routing table, 10,000 resolutions each:");
  for (const w of [0.01, 0.1, 0.3, 0.5, 0.9]) {
    const got = routingSplit(w);
    console.log(`  weight ${w * 100}% → ${got.toFixed(2)}% (error ${(got - w * 100).toFixed(2)} points)`);
  }
  console.log("weighted split end to end, 30% canary:");
  const e2e = await endToEndSplit(p, 10_000);
  console.log(`  → ${e2e.toFixed(2)}% on version 2 (error ${(e2e - 30).toFixed(2)} points)`);
} finally {
  await p.close();
}
