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
import { existsSync, rmSync, symlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey } from "../platform/src/auth/api-key.ts";
import { zipDir } from "../tests/support/zip.ts";
import { apiClient, deployWarmVariant, load, ROOT, startProcess, type Proc } from "./support.ts";

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
  url: string;
  auth: Record<string, string>;
  proc: Proc;
  dataDir: string;
  ratios: number[];
}

/** Every server started and data directory made, for the SIGINT handler. */
const started: Proc[] = [];
const dataDirs: string[] = [];

async function startTarget(label: string, cli: string): Promise<Target> {
  const dataDir = await mkdtemp(join(tmpdir(), "hs-compare-"));
  dataDirs.push(dataDir);
  const { key } = generateApiKey();
  const proc = await startProcess(["--import", "tsx", cli, "server", "--embedded-runner"], { PORT: "0", HOTSWAP_DATA_DIR: dataDir, HOTSWAP_ADMIN_KEY: key, LOG_LEVEL: "warn" }, /serving on (http:\/\/\S+)/);
  started.push(proc);
  const base = proc.match[1]!;
  const auth = { authorization: `Bearer ${key}` };
  await deployWarmVariant({ url: base, auth, api: apiClient(base, auth), stop: async () => {} }, { name: "compare", protocol, ic }, zipDir(join(ROOT, "bench/handler")));
  const url = `${base}/api/v1/functions/compare/invoke`;
  await load(url, auth, CONNECTIONS, 1); // the cold start and a warm-up, outside the rounds
  return { label, url, auth, proc, dataDir, ratios: [] };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const worktree = await mkdtemp(join(tmpdir(), "hs-compare-ref-"));
// Ctrl-C (or a SIGINT to this process alone): stop the servers and remove the checkout.
process.once("SIGINT", () => {
  for (const p of [...started]) p.child.kill("SIGTERM");
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  try {
    execFileSync("git", ["worktree", "remove", "--force", worktree], { cwd: ROOT, stdio: "ignore" });
  } catch {
    // not checked out yet
  }
  process.exit(130);
});
const targets: Target[] = [];
let bare: Proc | undefined;
try {
  progress(`checking out ${ref} into ${worktree}`);
  execFileSync("git", ["worktree", "add", "--detach", worktree, ref], { cwd: ROOT, stdio: "ignore" });
  // The ref runs on this checkout's dependencies (a lockfile change between them is not compared).
  if (!existsSync(join(worktree, "node_modules"))) symlinkSync(join(ROOT, "node_modules"), join(worktree, "node_modules"));
  const described = execFileSync("git", ["log", "-1", "--format=%h %s", ref], { cwd: ROOT, encoding: "utf8" }).trim();
  bare = await startProcess(["bench/bare-server.mjs", "0"], {}, /listening (\d+)/);
  started.push(bare);
  const bareUrl = `http://127.0.0.1:${bare.match[1]}/`;
  progress("starting both control planes");
  targets.push(await startTarget(`${ref} (${described})`, join(worktree, "platform/src/cli.ts")));
  targets.push(await startTarget("working tree", join(ROOT, "platform/src/cli.ts")));
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    // Alternate which goes first, so neither always follows the other's load.
    for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
      const b = await load(bareUrl, {}, CONNECTIONS, duration);
      const x = await load(t.url, t.auth, CONNECTIONS, duration);
      const ratio = b.rps > 0 ? x.rps / b.rps : 0;
      t.ratios.push(ratio);
      line.push(`${t === targets[0] ? "ref" : "tree"} ${ratio.toFixed(3)} (bare ${Math.round(b.rps)} req/s)`);
    }
    progress(`round ${r + 1}/${rounds}: ${line.join(", ")}`);
  }
  const [a, b] = targets as [Target, Target];
  process.stdout.write(
    `\n${protocol} channel, instanceConcurrency ${ic}, ${CONNECTIONS} connections, ${rounds} rounds of ${duration} s\n` +
      `| target | × bare (median) | each round |\n|---|---|---|\n` +
      targets.map((t) => `| ${t.label} | ${median(t.ratios).toFixed(3)} | ${t.ratios.map((x) => x.toFixed(2)).join(" ")} |`).join("\n") +
      `\n\nworking tree ÷ ref, median of the per-round quotients: ${median(a.ratios.map((x, i) => b.ratios[i]! / x)).toFixed(3)}\n`,
  );
} finally {
  for (const t of targets) {
    await t.proc.stop();
    await rm(t.dataDir, { recursive: true, force: true });
  }
  await bare?.stop();
  try {
    execFileSync("git", ["worktree", "remove", "--force", worktree], { cwd: ROOT, stdio: "ignore" });
  } catch {
    await rm(worktree, { recursive: true, force: true }); // the checkout never happened
  }
}
