/**
 * `npm run bench:compare -- <git ref>`: is the working tree's invoke path faster than <ref>'s?
 * Starts both control planes side by side (the ref from a temporary git worktree), deploys the
 * benchmark handler on each, and measures them in interleaved rounds, each against the bare
 * server run just before it, so that machine noise hits both alike. Prints each round's ratios and
 * the medians. On a shared 2-core machine a single run resolves differences of ~5% at best.
 *
 * Env: BENCH_ROUNDS (default 10), BENCH_DURATION (s per run, default 3), BENCH_CONNECTIONS (32), BENCH_IC
 * (instanceConcurrency, default 16), BENCH_PROTOCOL (fast | runtime-api, default fast).
 */
import { execFileSync } from "node:child_process";
import { existsSync, symlinkSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipDir } from "../tests/support/zip.ts";
import { deployWarmVariant, load, loadWithCpu, ROOT, startPlatform, startProcess, type BenchPlatform } from "./support.ts";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ref = process.argv[2];
if (!ref || ref.startsWith("-")) {
  process.stderr.write("usage: npm run bench:compare -- <git ref>   (e.g. HEAD, main, a commit)\n");
  process.exit(2);
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const duration = Number(process.env.BENCH_DURATION ?? 3);
const ic = Number(process.env.BENCH_IC ?? 16);
const protocol = (process.env.BENCH_PROTOCOL ?? "fast") as "fast" | "runtime-api";
const progress = (msg: string) => process.stderr.write(`[compare] ${msg}\n`);

interface Target {
  label: string;
  platform: BenchPlatform;
  url: string;
  ratios: number[];
  /** Per round: CPU µs per request in the control plane and its instances, and in autocannon. */
  serverUs: number[];
  loadgenUs: number[];
}

/** Every server started, stopped by the SIGINT handler as well as at the end. */
const started: Array<{ stop(): Promise<void> }> = [];

async function startTarget(label: string, cli: string): Promise<Target> {
  const platform = await startPlatform({}, cli);
  started.push(platform);
  await deployWarmVariant(platform, { name: "compare", protocol, ic }, zipDir(join(ROOT, "bench/handler")));
  const url = `${platform.url}/api/v1/functions/compare/invoke`;
  // One invoke must succeed before anything is timed: a side that answers errors is fast and cheap, not comparable.
  const first = await fetch(url, { method: "POST", headers: platform.auth, body: "{}" });
  if (first.status !== 200) throw new Error(`${label}: the benchmark function answered ${first.status}: ${(await first.text()).slice(0, 500)}`);
  await load(url, platform.auth, CONNECTIONS, 1); // a warm-up, outside the rounds
  return { label, platform, url, ratios: [], serverUs: [], loadgenUs: [] };
}

/** A run in which any request failed measured something else than the invoke path: stop rather than quote it. */
function checkAnswered(label: string, run: { errors: number; requests: number }): void {
  if (run.errors > 0) throw new Error(`${label}: ${run.errors} of ${run.requests} requests failed or answered non-2xx; its figures would not be comparable`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const worktree = await mkdtemp(join(tmpdir(), "hs-compare-ref-"));
// mkdtemp makes the directory 0700. Sandboxed instances run as their own uid (the process backend as
// root) and must read the ref's runtimes/ bootstrap in it: without this every ref invocation was a
// fast 502 InitError, and the ref side looked several times cheaper per request than the working tree.
await chmod(worktree, 0o755);

/** Stop every server and remove the ref's checkout (or the empty directory, if it never happened). */
async function cleanUp(): Promise<void> {
  await Promise.allSettled(started.map((p) => p.stop()));
  try {
    execFileSync("git", ["worktree", "remove", "--force", worktree], { cwd: ROOT, stdio: "ignore" });
  } catch {
    await rm(worktree, { recursive: true, force: true });
  }
}

// Ctrl-C (or a SIGINT to this process alone) cleans up too.
process.once("SIGINT", () => void cleanUp().finally(() => process.exit(130)));
const targets: Target[] = [];
const bareServerUs: number[] = [];
const bareLoadgenUs: number[] = [];
try {
  progress(`checking out ${ref} into ${worktree}`);
  execFileSync("git", ["worktree", "add", "--detach", worktree, ref], { cwd: ROOT, stdio: "ignore" });
  // The ref runs on this checkout's dependencies (a lockfile change between them is not compared).
  if (!existsSync(join(worktree, "node_modules"))) symlinkSync(join(ROOT, "node_modules"), join(worktree, "node_modules"));
  const subject = execFileSync("git", ["log", "-1", "--format=%h %s", ref], { cwd: ROOT, encoding: "utf8" }).trim();
  const described = subject.length > 72 ? `${subject.slice(0, 71)}…` : subject;
  const bare = await startProcess(["bench/bare-server.mjs", "0"], {}, /listening (\d+)/);
  started.push(bare);
  const bareUrl = `http://127.0.0.1:${bare.match[1]}/`;
  progress("starting both control planes");
  targets.push(await startTarget(described.startsWith(ref) ? described : `${ref} (${described})`, cliOf(worktree)));
  targets.push(await startTarget("working tree", cliOf(ROOT)));
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    // Alternate which goes first, so neither always follows the other's load.
    for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
      const bareRun = await loadWithCpu(bareUrl, {}, bare.child.pid!, CONNECTIONS, duration);
      const run = await loadWithCpu(t.url, t.platform.auth, t.platform.pid, CONNECTIONS, duration);
      checkAnswered(t.label, run);
      const ratio = bareRun.rps > 0 ? run.rps / bareRun.rps : 0;
      t.ratios.push(ratio);
      t.serverUs.push(run.serverUs);
      t.loadgenUs.push(run.loadgenUs);
      bareServerUs.push(bareRun.serverUs);
      bareLoadgenUs.push(bareRun.loadgenUs);
      line.push(
        `${t === targets[0] ? "ref" : "tree"} ${ratio.toFixed(3)} (bare ${Math.round(bareRun.rps)} req/s), CPU µs/req ${run.serverUs.toFixed(1)} + ${run.loadgenUs.toFixed(1)} (bare ${bareRun.serverUs.toFixed(1)} + ${bareRun.loadgenUs.toFixed(1)})`,
      );
    }
    progress(`round ${r + 1}/${rounds}: ${line.join(", ")}`);
  }
  const [a, b] = targets as [Target, Target];
  process.stdout.write(
    `\n${protocol} channel, instanceConcurrency ${ic}, ${CONNECTIONS} connections, ${rounds} rounds of ${duration} s\n` +
      `| target | × bare (median) | each round | server CPU µs/req | autocannon CPU µs/req |\n|---|---|---|---|---|\n` +
      targets
        .map((t) => `| ${t.label} | ${median(t.ratios).toFixed(3)} | ${t.ratios.map((x) => x.toFixed(2)).join(" ")} | ${median(t.serverUs).toFixed(1)} | ${median(t.loadgenUs).toFixed(1)} |`)
        .join("\n") +
      `\n| bare Node server | 1 | | ${median(bareServerUs).toFixed(1)} | ${median(bareLoadgenUs).toFixed(1)} |\n` +
      `\nworking tree ÷ ref, median of the per-round quotients: ${median(a.ratios.map((x, i) => b.ratios[i]! / x)).toFixed(3)}` +
      `\nserver CPU per request, working tree ÷ ref: ${median(a.serverUs.map((x, i) => b.serverUs[i]! / x)).toFixed(3)}\n`,
  );
} finally {
  await cleanUp();
}

/** The CLI entry of a checkout: cli/main.ts, or platform/src/cli.ts before the CLI had its own folder. */
function cliOf(checkout: string): string {
  const current = join(checkout, "cli/main.ts");
  return existsSync(current) ? current : join(checkout, "platform/src/cli.ts");
}
