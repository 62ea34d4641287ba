/**
 * Density: what a control plane and a runner hold, and what that costs them.
 *  - Control plane: a fresh Postgres database seeded with BENCH_DENSITY_FUNCTIONS functions (10,000;
 *    two versions and a `live` alias each, inserted with SQL: the API is not what is measured). The
 *    routing table's refresh, timed in this process with the platform's own code on that database:
 *    the full read (at start, and after many changes), the periodic check with nothing changed, and
 *    the check after one alias changed behind its back (a lost change message). Then the RSS of a
 *    real `hotswap server` (fleet mode, no embedded runner) serving that catalog.
 *  - Runner: one `hotswap runner` (process backend, no stems) with BENCH_DENSITY_RUNNER_FUNCTIONS
 *    functions (1,000) invoked once each and at most BENCH_DENSITY_WARM (200) instances kept warm;
 *    the runner's own RSS, instances excluded, and the instances' count and RSS beside it.
 * Needs Postgres (TEST_DATABASE_URL's server) and Redis (BENCH_REDIS_URL).
 */
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { BenchContext, BenchTable } from "../section.ts";
import { apiClient, percentile, startProcess } from "../support.ts";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { createRepositories, openDatabase } from "../../platform/src/db/index.ts";
import { RoutingTable } from "../../platform/src/router/routing-table.ts";
import { MemoryStateStore } from "../../shared/state/memory-state-store.ts";
import { createTestDatabase } from "../../tests/support/services.ts";
import { waitFor } from "../../tests/support/wait-for.ts";
import { zipFiles } from "../../tests/support/zip.ts";

const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const CLI = ["--import", "tsx", "cli/main.ts"];

/** VmRSS and VmHWM of a process, in MB. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/** The direct children of `pid` (an instance's own children are not counted). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (max ${Math.max(...xs).toFixed(1)})`;

/** Run `fn` over `items` with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export async function densitySection(ctx: BenchContext): Promise<BenchTable[]> {
  return [await controlPlaneDensity(ctx), await runnerDensity(ctx)];
}

async function controlPlaneDensity(ctx: BenchContext): Promise<BenchTable> {
  const n = Number(process.env.BENCH_DENSITY_FUNCTIONS ?? 10_000);
  ctx.progress(`density: seeding ${n} functions (2 versions and a live alias each) into a fresh Postgres database`);
  const tdb = await createTestDatabase();
  const database = await openDatabase({ kind: "postgres", url: tdb.url });
  const sql = postgres(tdb.url, { max: 1, onnotice: () => {} });
  const rows: string[][] = [];
  try {
    await sql.unsafe(`insert into functions (name, runtime, handler, memory_size, timeout, latest_version, environment)
      select 'fn-' || i, 'nodejs20', 'index.handler', 128, 30, 2, jsonb_build_object('STAGE', 'prod', 'N', i::text) from generate_series(1, ${n}) i`);
    await sql.unsafe(`insert into function_versions (function_id, function_name, version, code_sha256, code_size, code_location, runtime, handler, memory_size, timeout, protocol, instance_concurrency, environment)
      select f.id, f.name, v, md5(f.name || v) || md5(f.name), 1234, 'sha256/' || md5(f.name || v), 'nodejs20', 'index.handler', 128, 30, 'fast', 1, f.environment
      from functions f, generate_series(1, 2) v`);
    await sql.unsafe(`insert into function_aliases (function_id, function_name, name, version) select id, name, 'live', 2 from functions`);

    ctx.progress("density: routing table refresh times");
    const table = new RoutingTable(createRepositories(database.db), new MemoryStateStore(), {});
    const time = async (fn: () => Promise<void>) => {
      const t0 = performance.now();
      await fn();
      return performance.now() - t0;
    };
    const full: number[] = [];
    for (let i = 0; i < 3; i++) full.push(await time(() => table.refreshAll()));
    const idle: number[] = [];
    for (let i = 0; i < 9; i++) idle.push(await time(() => table.refresh()));
    const changed: number[] = [];
    for (let i = 1; i <= 5; i++) {
      await sql.unsafe(`update function_aliases set version = 1, updated_at = now() where function_name = 'fn-${i}'`);
      changed.push(await time(() => table.refresh()));
      if (table.resolve(`fn-${i}`, "live").spec.version !== 1) throw new Error(`fn-${i}: the refresh did not pick up the alias change`);
    }
    rows.push(
      [`routing table: full read of ${n} functions (start, or after many changes)`, `${fmt(full)} ms`],
      ["routing table: periodic refresh, nothing changed", `${fmt(idle)} ms`],
      ["routing table: periodic refresh, one alias changed behind its back", `${fmt(changed)} ms`],
    );

    ctx.progress(`density: a control plane (fleet mode) serving ${n} functions`);
    const dataDir = await mkdtemp(join(tmpdir(), "hs-bench-density-"));
    const cp = await startProcess(
      [...CLI, "server"],
      {
        DATABASE_URL: tdb.url,
        REDIS_URL,
        HOTSWAP_REDIS_PREFIX: `hsbench:${randomBytes(4).toString("hex")}:`,
        HOTSWAP_CLUSTER_SECRET: randomBytes(24).toString("hex"),
        HOTSWAP_ADMIN_KEY: generateApiKey().key,
        HOTSWAP_DATA_DIR: dataDir,
        PORT: "0",
        LOG_LEVEL: "warn",
      },
      /serving on (http:\/\/\S+)/,
    );
    try {
      await new Promise((r) => setTimeout(r, 5000));
      const m = memoryOf(cp.child.pid!);
      rows.push([`control plane RSS with ${n} functions (5 s after start; peak)`, `${m.rss.toFixed(0)} MB (peak ${m.hwm.toFixed(0)} MB)`]);
    } finally {
      await cp.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  } finally {
    await sql.end();
    await database.close();
    await tdb.drop();
  }
  return { title: "Density: control plane", head: ["measure", "value (median of runs)"], rows };
}

async function runnerDensity(ctx: BenchContext): Promise<BenchTable> {
  const functions = Number(process.env.BENCH_DENSITY_RUNNER_FUNCTIONS ?? 1000);
  const warm = Number(process.env.BENCH_DENSITY_WARM ?? 200);
  const dataDir = await mkdtemp(join(tmpdir(), "hs-bench-density-runner-"));
  const { key } = generateApiKey();
  const common = { REDIS_URL, HOTSWAP_REDIS_PREFIX: `hsbench:${randomBytes(4).toString("hex")}:`, HOTSWAP_CLUSTER_SECRET: randomBytes(24).toString("hex"), LOG_LEVEL: "warn" };
  ctx.progress("density: a control plane and one runner");
  const cp = await startProcess([...CLI, "server"], { ...common, PORT: "0", HOTSWAP_DATA_DIR: dataDir, HOTSWAP_ADMIN_KEY: key }, /serving on (http:\/\/\S+)/);
  const url = cp.match[1]!;
  const auth = { authorization: `Bearer ${key}` };
  const api = apiClient(url, auth);
  let runner: Awaited<ReturnType<typeof startProcess>> | undefined;
  try {
    runner = await startProcess(
      [...CLI, "runner"],
      {
        ...common,
        RUNNER_ID: "density",
        RUNNER_LISTEN: "127.0.0.1:0",
        RUNNER_STEMS: "0",
        RUNNER_MAX_INSTANCES: String(warm),
        RUNNER_MEMORY_MB: String(warm * 128 + 1024),
        HOTSWAP_DATA_DIR: join(dataDir, "runner"),
        HOTSWAP_CODE_DIR: join(dataDir, "code"),
      },
      /is serving on (http:\/\/\S+)/,
    );
    await waitFor("the runner to be ready", async () => ((await api("GET", "/api/v1/runners")).runners as Array<{ status: string }>).some((r) => r.status === "ready"), { timeoutMs: 15_000 });
    const base = memoryOf(runner.child.pid!);
    const zip = zipFiles({ "handler.py": "def handler(event, context):\n    return {'ok': True}\n" });
    const names = Array.from({ length: functions }, (_, i) => `d-${i}`);
    let done = 0;
    ctx.progress(`density: creating, publishing and invoking ${functions} python3.11 functions (instances kept: ${warm})`);
    await pool(names, 4, async (name) => {
      await api("POST", "/api/v1/functions", { name, runtime: "python3.11", handler: "handler.handler", memorySize: 128, idleTimeout: "PT1H" });
      await api("POST", `/api/v1/functions/${name}/versions`, zip, "application/zip");
      const res = await fetch(`${url}/api/v1/functions/${name}/invoke`, { method: "POST", headers: auth, body: "{}" });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${name}: ${res.status} ${body}`);
      if (++done % 100 === 0) ctx.progress(`density: ${done}/${functions} functions invoked`);
    });
    await new Promise((r) => setTimeout(r, 2000));
    const pid = runner.child.pid!;
    const m = memoryOf(pid);
    const instances = childrenOf(pid);
    const instancesMb = instances.reduce((s, p) => s + (() => { try { return memoryOf(p).rss; } catch { return 0; } })(), 0);
    return {
      title: `Density: one runner, ${functions} functions invoked, at most ${warm} warm instances (process backend, python3.11)`,
      head: ["measure", "value"],
      rows: [
        ["runner RSS at start (no instances)", `${base.rss.toFixed(0)} MB`],
        [`runner RSS with ${functions} functions registered (instances excluded; peak)`, `${m.rss.toFixed(0)} MB (peak ${m.hwm.toFixed(0)} MB)`],
        ["warm instances (the runner's child processes)", `${instances.length}, ${instancesMb.toFixed(0)} MB RSS together`],
      ],
    };
  } finally {
    await runner?.stop();
    await cp.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

