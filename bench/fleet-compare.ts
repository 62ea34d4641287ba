/**
 * `node --import tsx bench/fleet-compare.ts`: the two transports of the control plane → runner
 * hop side by side — the fleet channel (protocol/fleet-channel.ts) and one HTTP request per
 * invocation (a runner with RUNNER_FLEET_CHANNEL=off) — in interleaved rounds (bare, HTTP,
 * channel), each against the bare server run just before it, with the CPU time each request cost
 * in the control plane, the runner (with its instance) and autocannon, read from /proc.
 * Two control planes on separate Redis prefixes, one runner each, the benchmark handler at
 * BENCH_IC (default 16) with one instance. BENCH_ROUNDS (default 6), BENCH_DURATION (default 3 s).
 */
import { join } from "node:path";
import { BODY, ROOT, load, startProcess, treeCpuMs, type Load } from "./support.ts";
import { startFleet, type FleetBench } from "./sections/fleet.ts";
import { zipDir } from "../tests/support/zip.ts";

const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
const duration = Number(process.env.BENCH_DURATION ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ic = Number(process.env.BENCH_IC ?? 16);
const progress = (msg: string) => process.stderr.write(`[fleet-compare] ${msg}\n`);

interface Side {
  name: string;
  fleet: FleetBench;
  runner: { stop(): Promise<void>; child: { pid?: number } };
  runnerPid: number;
  url: string;
  ratios: number[];
  cpUs: number[];
  runnerUs: number[];
  loadgenUs: number[];
}

async function measure(side: Side): Promise<Load> {
  const c0 = await treeCpuMs(side.fleet.pid);
  const r0 = await treeCpuMs(side.runnerPid);
  const u0 = process.cpuUsage();
  const r = await load(side.url, side.fleet.auth, connections, duration);
  const u = process.cpuUsage(u0);
  side.cpUs.push((((await treeCpuMs(side.fleet.pid)) - c0) * 1000) / r.requests);
  side.runnerUs.push((((await treeCpuMs(side.runnerPid)) - r0) * 1000) / r.requests);
  side.loadgenUs.push((u.user + u.system) / r.requests);
  return r;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const bare = await startProcess(["bench/bare-server.mjs", "0"], {}, /listening (\d+)/);
  const bareUrl = `http://127.0.0.1:${bare.match[1]}/`;
  const zip = zipDir(join(ROOT, "bench/handler"));
  const sides: Side[] = [];
  try {
    for (const [name, channel] of [["HTTP request per invocation", "off"], ["fleet channel", "on"]] as const) {
      progress(`starting a control plane and a runner (RUNNER_FLEET_CHANNEL=${channel})`);
      const fleet = await startFleet();
      const runner = await fleet.startRunner({ RUNNER_STEMS: "0", RUNNER_FLEET_CHANNEL: channel });
      await fleet.api("POST", "/api/v1/functions", { name: "bench", runtime: "nodejs20", handler: "index.handler", instanceConcurrency: ic, maxInstances: 1 });
      await fleet.api("POST", "/api/v1/functions/bench/versions", zip, "application/zip");
      const url = `${fleet.url}/api/v1/functions/bench/invoke`;
      const res = await fetch(url, { method: "POST", headers: fleet.auth, body: BODY });
      if (res.status !== 200) throw new Error(`${name}: invoke answered ${res.status} ${await res.text()}`);
      sides.push({ name, fleet, runner, runnerPid: runner.child.pid!, url, ratios: [], cpUs: [], runnerUs: [], loadgenUs: [] });
    }
    for (let i = 0; i < rounds; i++) {
      for (const side of sides) {
        const b = await load(bareUrl, {}, connections, duration);
        const t = await measure(side);
        side.ratios.push(t.rps / b.rps);
        progress(`round ${i + 1}: ${side.name} ${Math.round(t.rps)} req/s, bare ${Math.round(b.rps)} → ${(t.rps / b.rps).toFixed(3)} (errors ${t.errors})`);
      }
    }
    process.stdout.write(`\nfleet transports, ic=${ic}, ${connections} connections, ${rounds} rounds × ${duration} s (median; CPU µs per request)\n`);
    for (const s of sides) {
      process.stdout.write(
        `${s.name.padEnd(28)} × bare ${median(s.ratios).toFixed(3)} [${s.ratios.map((r) => r.toFixed(2)).join(" ")}]  control plane ${median(s.cpUs).toFixed(1)} µs  runner+instance ${median(s.runnerUs).toFixed(1)} µs  autocannon ${median(s.loadgenUs).toFixed(1)} µs\n`,
      );
    }
  } finally {
    for (const s of sides) {
      await s.runner.stop();
      await s.fleet.stop();
    }
    await bare.stop();
  }
}

main().catch((e) => {
  progress(`failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
