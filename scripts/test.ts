/**
 * `npm test`: the test setup and runner.
 * 1. Makes sure the real services exist: Postgres and Redis (started by scripts/ci/ensure-services.sh
 *    when down) and an S3-protocol server (s3rver, started here for the run).
 * 2. Runs every `*.test.ts` under platform/, runner/, tests/, infra/ and scripts/ with node's test runner.
 * Under CI=true a service that cannot be started fails the run; it never turns into skipped tests.
 *
 * Usage: npm test [-- <path filter>...]   e.g. npm test -- platform/src/state
 */
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { IS_CI, TEST_DATABASE_URL, TEST_REDIS_URL, isReachable, startS3Server } from "../tests/support/services.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const ROOTS = ["platform", "runner", "tests", "infra", "scripts", "runtimes"];
const SKIP_DIRS = new Set(["node_modules", ".hotswap", ".git", "fixtures", "examples"]);

function findTests(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (SKIP_DIRS.has(name)) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) findTests(p, out);
    else if (name.endsWith(".test.ts")) out.push(relative(ROOT, p));
  }
}

function log(msg: string): void {
  process.stderr.write(`[test-setup] ${msg}\n`);
}

async function ensureServices(): Promise<void> {
  const down: string[] = [];
  if (!(await isReachable(TEST_DATABASE_URL))) down.push("postgres");
  if (!(await isReachable(TEST_REDIS_URL))) down.push("redis");
  if (down.length === 0) return;
  log(`${down.join(" and ")} not reachable; starting with scripts/ci/ensure-services.sh`);
  const r = spawnSync("bash", [join(ROOT, "scripts/ci/ensure-services.sh")], { stdio: "inherit" });
  const still: string[] = [];
  if (!(await isReachable(TEST_DATABASE_URL))) still.push(`postgres (${TEST_DATABASE_URL})`);
  if (!(await isReachable(TEST_REDIS_URL))) still.push(`redis (${TEST_REDIS_URL})`);
  if (still.length > 0) {
    const msg = `could not start ${still.join(", ")} (ensure-services exit ${r.status})`;
    if (IS_CI) throw new Error(msg);
    log(`${msg}; tests that need them will be skipped with the reason`);
  }
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files: string[] = [];
  for (const r of ROOTS) findTests(join(ROOT, r), files);
  const selected = files.sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
  if (selected.length === 0) {
    log(`no test files match ${filters.join(" ")}`);
    return 1;
  }
  await ensureServices();
  const s3 = await startS3Server("hotswap-test");
  log(`S3-protocol server at ${s3.endpoint} (bucket ${s3.bucket})`);
  log(`running ${selected.length} test files${IS_CI ? " (CI=true: missing services fail, nothing skips)" : ""}`);
  const concurrency = process.env.TEST_CONCURRENCY ?? "2";
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-timeout=600000", ...selected],
    {
      cwd: ROOT,
      stdio: "inherit",
      env: {
        ...process.env,
        TEST_S3_ENDPOINT: s3.endpoint,
        TEST_S3_ACCESS_KEY_ID: s3.accessKeyId,
        TEST_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        NODE_NO_WARNINGS: "1",
      },
    },
  );
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  const code = await new Promise<number>((resolve) => child.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
  await s3.close();
  return code;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    log(`failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
