/**
 * `npm run bench [-- <section>...]`: HotSwap's benchmark. Bounded (a few seconds per measurement),
 * loopback only, every figure measured in this run. Throughput is quoted as a ratio to a bare Node
 * HTTP server running the same handler (bench/bare-server.mjs), measured at the start of the same
 * run, because the machine is shared and absolute numbers drift.
 *
 * Env: BENCH_DURATION (s per throughput run, default 5), BENCH_ROUNDS (bare/target pairs per
 *      throughput figure, default 5), BENCH_CONNECTIONS (default 32), BENCH_COLD_SAMPLES (default 20),
 *      BENCH_START_TIMEOUT_MS (ms a started server may take to be ready, default 30000).
 */
import { load, pairedLoad, startProcess, ROOT } from "./support.ts";
import type { BenchTable } from "./section.ts";
import { SECTIONS } from "./sections/index.ts";
import { spawnSync } from "node:child_process";

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function render(t: BenchTable): string {
  const w = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(" | ")} |`;
  return [t.title, line(t.head), `|${w.map((n) => "-".repeat(n + 2)).join("|")}|`, ...t.rows.map(line)].join("\n");
}

async function main() {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown section ${unknown.join(", ")}; sections: ${SECTIONS.map((s) => s.name).join(", ")}`);
  progress("starting the bare Node baseline server");
  const bare = await startProcess(["bench/bare-server.mjs", "0"], {}, /listening (\d+)/);
  const bareUrl = `http://127.0.0.1:${bare.match[1]}/`;
  const tables: BenchTable[] = [];
  try {
    progress(`baseline: bare Node server, ${CONNECTIONS} connections, ${DURATION} s`);
    const baseline = await load(bareUrl, {}, CONNECTIONS, DURATION);
    tables.push({
      title: "Baseline",
      head: ["target", "req/s", "p50 ms", "p99 ms", "errors"],
      rows: [["bare Node HTTP server, same handler in-process", String(Math.round(baseline.rps)), String(baseline.p50), String(baseline.p99), String(baseline.errors)]],
    });
    progress("process start: node -e 0 and python3 -c pass (the floor of a cold start without a stem)");
    tables.push(processStartTable());
    for (const s of SECTIONS) {
      if (only.length && !only.includes(s.name)) continue;
      progress(`section ${s.name}`);
      const paired = (url: string, headers: Record<string, string>, pid?: number) =>
        pairedLoad(bareUrl, url, headers, CONNECTIONS, DURATION, ROUNDS, pid === undefined ? undefined : { bare: bare.child.pid!, target: pid });
      tables.push(...(await s.run({ baseline, bareUrl, durationS: DURATION, rounds: ROUNDS, paired, connections: CONNECTIONS, root: ROOT, progress })));
    }
    tables.push({
      title: "Not measured by this benchmark",
      head: ["figure", "why"],
      rows: [
        ["OpenFaaS of-watchdog (http mode) → the same Node server", "needs OpenFaaS built from source (Go modules from the internet); not measurable offline, so no number is quoted"],
        ["OpenFaaS gateway → provider → of-watchdog → Node", "same: not measurable offline"],
      ],
    });
  } finally {
    await bare.stop();
  }
  process.stdout.write(
    `\nHotSwap benchmark (${new Date().toISOString()}, node ${process.version}, ${CONNECTIONS} connections, ${DURATION} s per run, ` +
      `× bare = median of ${ROUNDS} back-to-back bare/target pairs)\n\n`,
  );
  process.stdout.write(tables.map(render).join("\n\n") + "\n");
}

/** p50 and p90 wall time to start and exit an empty interpreter, 15 times each. */
function processStartTable(): BenchTable {
  const rows: string[][] = [];
  for (const [label, cmd, args] of [
    ["node -e 0", process.execPath, ["-e", "0"]],
    ["python3 -c pass", "python3", ["-c", "pass"]],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      const r = spawnSync(cmd, args, { stdio: "ignore" });
      if (r.error) break;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const at = (p: number) => (times.length ? times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(1) : "-");
    rows.push([label, at(0.5), at(0.9), times.length ? "" : `${cmd} is not installed`]);
  }
  return { title: "Process start (a cold start without a stem is at least this)", head: ["command", "p50 ms", "p90 ms", "note"], rows };
}

main().catch((e) => {
  progress(`failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
