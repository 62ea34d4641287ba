/**
 * `npm test`: the test setup and runner.
 * 1. Makes sure the real services exist: Postgres, Redis, RabbitMQ and NATS (started by scripts/ci/ensure-services.sh
 *    when down) and an S3-protocol server (s3rver, started here for the run).
 * 2. Runs every `*.test.ts` under platform/, runner/, tests/, infra/ and scripts/ with node's test runner.
 * Under CI=true a service that cannot be started fails the run; it never turns into skipped tests.
 *
 * Usage: npm test [-- <path filter>...]   e.g. npm test -- shared/state
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ensureTemplate } from "../platform/src/db/pglite-template.ts";
import { IS_CI, TEST_SERVICES, isReachable, startS3Server } from "../tests/support/services.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const ROOTS = ["protocol", "shared", "platform", "runner", "cli", "client", "tests", "infra", "scripts", "runtimes"];
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

async function unreachable(): Promise<string[]> {
  const down: string[] = [];
  for (const [name, { url }] of Object.entries(TEST_SERVICES)) if (!(await isReachable(url))) down.push(`${name} (${url})`);
  return down;
}

async function ensureServices(): Promise<void> {
  const down = await unreachable();
  if (down.length === 0) return;
  log(`${down.join(" and ")} not reachable; starting with scripts/ci/ensure-services.sh`);
  const r = spawnSync("bash", [join(ROOT, "scripts/ci/ensure-services.sh")], { stdio: "inherit" });
  const still = await unreachable();
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
  // Every embedded platform a test starts opens a fresh PGlite: from the template, not initdb.
  const template = await ensureTemplate();
  if (template.built) log(`built the PGlite template ${template.path}`);
  const s3 = await startS3Server("hotswap-test");
  log(`S3-protocol server at ${s3.endpoint} (bucket ${s3.bucket})`);
  log(`running ${selected.length} test files${IS_CI ? " (CI=true: missing services fail, nothing skips)" : ""}`);
  const env = {
    ...process.env,
    TEST_S3_ENDPOINT: s3.endpoint,
    TEST_S3_ACCESS_KEY_ID: s3.accessKeyId,
    TEST_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    NODE_NO_WARNINGS: "1",
  };
  // `*.serial.test.ts` measure things a loaded machine would distort (start-up time), so they run
  // alone after the rest.
  const parallel = selected.filter((f) => !f.endsWith(".serial.test.ts"));
  const serial = selected.filter((f) => f.endsWith(".serial.test.ts"));
  let code = 0;
  const totals = { pass: 0, fail: 0, skipped: 0, cancelled: 0 };
  try {
    for (const [files, concurrency] of [
      [parallel, process.env.TEST_CONCURRENCY ?? "2"],
      [serial, "1"],
    ] as const) {
      if (!files.length) continue;
      const tap = join(tmpdir(), `hotswap-test-${process.pid}-${Date.now()}.tap`);
      code = (await runNodeTest(files, concurrency, env, tap)) || code;
      const summary = readFileSync(tap, "utf8");
      rmSync(tap, { force: true });
      for (const k of Object.keys(totals) as Array<keyof typeof totals>) {
        const all = [...summary.matchAll(new RegExp(`^# ${k} (\\d+)$`, "gm"))];
        totals[k] += Number(all.at(-1)?.[1] ?? 0);
      }
    }
  } finally {
    await s3.close();
  }
  process.stdout.write(`\ntotal: ${totals.pass} passed, ${totals.fail + totals.cancelled} failed, ${totals.skipped} skipped\n`);
  return code;
}

let current: ReturnType<typeof spawn> | undefined;
process.on("SIGINT", () => current?.kill("SIGINT"));
process.on("SIGTERM", () => current?.kill("SIGTERM"));

function runNodeTest(files: string[], concurrency: string, env: NodeJS.ProcessEnv, tapFile: string): Promise<number> {
  log(`node --test (${files.length} files, concurrency ${concurrency})`);
  const args = ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-timeout=600000"];
  args.push("--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=tap", `--test-reporter-destination=${tapFile}`);
  const child = spawn(process.execPath, [...args, ...files], {
    cwd: ROOT,
    stdio: "inherit",
    env,
  });
  current = child;
  return new Promise<number>((resolve) => child.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
}

main().then(
  (code) => process.exit(code),
  (e) => {
    log(`failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
