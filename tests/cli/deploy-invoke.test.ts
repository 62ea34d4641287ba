/**
 * `hotswap deploy`, `invoke` and `logs` against an embedded platform: deploy zips a directory
 * deterministically (same files, other mtimes and write order → same sha256), creates the function,
 * publishes versions and moves an alias directly or through a canary it follows to the end (exit 5
 * when it is rolled back); invoke passes --data/--file/stdin, --qualifier, --async and --log and
 * exits 6 on a handler error; logs filters by request id and time, and -f shows new lines live.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, utimes, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { apiOf, expectOk } from "../support/deploy.ts";
import { waitFor } from "../support/wait-for.ts";
import { hotswap, shown, spawnHotswap, waitForCliOutput } from "./support.ts";

const HANDLER = (label: string) => `exports.handler = async (event) => {
  console.log("handling " + JSON.stringify(event));
  if (event && event.fail) throw new Error("asked to fail");
  return { label: ${JSON.stringify(label)}, echo: event };
};`;

/** Writes a function directory: files in the given order, each with the given mtime. */
async function writeCode(dir: string, label: string, order: string[] = ["index.js", "lib/util.js", "package.json"], mtime = new Date("2021-05-05")): Promise<void> {
  const files: Record<string, string> = { "index.js": HANDLER(label), "lib/util.js": "module.exports = 1;\n", "package.json": '{"type":"commonjs"}\n' };
  await mkdir(join(dir, "lib"), { recursive: true });
  for (const f of order) {
    await writeFile(join(dir, f), files[f]!);
    await utimes(join(dir, f), mtime, mtime);
  }
}

describe("hotswap deploy, invoke and logs", () => {
  let p: TestPlatform;
  let env: Record<string, string>;
  let work: string;
  before(async () => {
    p = await startPlatform("embedded");
    env = { HOTSWAP_URL: p.url, HOTSWAP_API_KEY: p.key };
    work = await mkdtemp(join(tmpdir(), "hs-cli-deploy-"));
  });
  after(async () => {
    await p?.close();
    await rm(work, { recursive: true, force: true });
  });

  test("deploy creates the function, publishes a deterministic zip and moves the alias; a new deploy of the same files has the same sha256", { timeout: 120_000 }, async () => {
    const a = join(work, "a");
    const b = join(work, "b");
    await writeCode(a, "v1");
    await writeCode(b, "v1", ["package.json", "lib/util.js", "index.js"], new Date("2024-12-24"));

    const first = await hotswap(["deploy", a, "--name", "cli-dep", "--runtime", "nodejs20", "--handler", "index.handler", "--memory", "128", "--env", "STAGE=test", "--alias", "live", "--json"], env);
    assert.equal(first.code, 0, shown(first));
    const out = JSON.parse(first.stdout);
    assert.equal(out.version.version, 1);
    assert.equal(out.function.name, "cli-dep");
    assert.equal(out.function.memorySize, 128);
    assert.deepEqual(out.function.environment, { STAGE: "test" });
    assert.equal(out.alias.name, "live");
    assert.equal(out.alias.version, 1);
    assert.match(first.stderr, /Packaged 3 file\(s\) from .*: \d+ bytes, sha256 [0-9a-f]{64}\./);
    assert.match(first.stderr, /Created function cli-dep \(nodejs20, index\.handler\)\./);
    assert.match(first.stderr, /Alias cli-dep:live → v1\./);

    // The same files written in another order with other mtimes: the same bytes.
    const second = await hotswap(["deploy", b, "--name", "cli-dep", "--json"], env);
    assert.equal(second.code, 0, shown(second));
    const again = JSON.parse(second.stdout);
    assert.equal(again.version.codeSha256, out.version.codeSha256);
    assert.equal(again.version.codeSize, out.version.codeSize);
    assert.equal(again.alias, undefined, "no --alias: the alias stays");
    assert.equal(expectOk(await apiOf(p).aliases.get("cli-dep", "live"), "reading live").version, 1);

    const missing = await hotswap(["deploy", a, "--name", "cli-nope"], env);
    assert.equal(missing.code, 2, shown(missing));
    assert.match(missing.stderr, /function "cli-nope" does not exist yet: give --runtime and --handler to create it\./);
    const notDir = await hotswap(["deploy", join(work, "nothing-here"), "--name", "cli-dep"], env);
    assert.equal(notDir.code, 2, shown(notDir));
    assert.match(notDir.stderr, /is not a directory/);
  });

  test("invoke: --data, --file, stdin, --qualifier, --log, --json, --async; a handler error exits 6, a missing function 3", { timeout: 120_000 }, async () => {
    const dir = join(work, "inv");
    await writeCode(dir, "inv");
    const dep = await hotswap(["deploy", dir, "--name", "cli-inv", "--runtime", "nodejs20", "--handler", "index.handler", "--alias", "live"], env);
    assert.equal(dep.code, 0, shown(dep));
    assert.match(dep.stdout, /^Deployed cli-inv version 1 \(sha256 [0-9a-f]{12}\)\.$/m);

    const data = await hotswap(["invoke", "cli-inv", "--data", '{"name":"world"}'], env);
    assert.equal(data.code, 0, shown(data));
    assert.deepEqual(JSON.parse(data.stdout), { label: "inv", echo: { name: "world" } });
    assert.match(data.stderr, /^v1 {2}(cold|warm) {2}\d+ ms {2}request [\w-]+$/m);

    const file = join(work, "event.json");
    await writeFile(file, '{"from":"file"}');
    const fromFile = await hotswap(["invoke", "cli-inv", "--file", file, "--qualifier", "1", "--json"], env);
    assert.equal(fromFile.code, 0, shown(fromFile));
    const r = JSON.parse(fromFile.stdout);
    assert.deepEqual(r.payload, { label: "inv", echo: { from: "file" } });
    assert.equal(r.statusCode, 200);
    assert.equal(r.version, 1);
    assert.equal(r.functionError, null);
    assert.match(r.requestId, /^[\w-]+$/);

    const stdin = await hotswap(["invoke", "cli-inv", "--file", "-", "--log"], env, { input: '{"from":"stdin"}' });
    assert.equal(stdin.code, 0, shown(stdin));
    assert.deepEqual(JSON.parse(stdin.stdout), { label: "inv", echo: { from: "stdin" } });
    assert.match(stdin.stderr, /handling \{"from":"stdin"\}/, "--log prints the invocation's log tail");

    const failed = await hotswap(["invoke", "cli-inv", "--data", '{"fail":true}'], env);
    assert.equal(failed.code, 6, shown(failed));
    assert.equal(JSON.parse(failed.stdout).errorMessage, "asked to fail");
    assert.match(failed.stderr, /function error: Unhandled/);

    const queued = await hotswap(["invoke", "cli-inv", "--data", '{"async":1}', "--async", "--json"], env);
    assert.equal(queued.code, 0, shown(queued));
    const accepted = JSON.parse(queued.stdout);
    assert.equal(accepted.status, "Queued");
    await waitFor("the async invocation to succeed", async () => {
      const rec = await apiOf(p).async.get(accepted.requestId);
      return rec.ok && rec.value.status === "Succeeded";
    }, { timeoutMs: 20_000, intervalMs: 100 });

    const notJson = await hotswap(["invoke", "cli-inv", "--data", "{nope"], env);
    assert.equal(notJson.code, 2, shown(notJson));
    assert.match(notJson.stderr, /the event is not JSON/);
    const none = await hotswap(["invoke", "cli-none"], env);
    assert.equal(none.code, 3, shown(none));
    assert.match(none.stderr, /invoking "cli-none" failed: FunctionNotFound \(HTTP 404\)/);
  });

  test("logs: lines of a function, --request-id, --since, --json, and -f shows new lines as they are written", { timeout: 120_000 }, async () => {
    const dir = join(work, "logs");
    await writeCode(dir, "logs");
    assert.equal((await hotswap(["deploy", dir, "--name", "cli-logs", "--runtime", "nodejs20", "--handler", "index.handler"], env)).code, 0);
    const one = await hotswap(["invoke", "cli-logs", "--data", '{"n":1}', "--json"], env);
    const two = await hotswap(["invoke", "cli-logs", "--data", '{"n":2}', "--json"], env);
    const id2 = JSON.parse(two.stdout).requestId as string;
    assert.equal(one.code, 0, shown(one));

    const all = await waitFor("both lines in hotswap logs", async () => {
      const r = await hotswap(["logs", "cli-logs", "--since", "10m"], env);
      return /handling \{"n":1\}/.test(r.stdout) && /handling \{"n":2\}/.test(r.stdout) ? r : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    assert.match(all.stdout, new RegExp(`^\\S+ {2}v1 {2}${id2} {2}stdout {2}.*handling \\{"n":2\\}$`, "m"));

    const byId = await hotswap(["logs", "cli-logs", "--request-id", id2, "--json"], env);
    assert.equal(byId.code, 0, shown(byId));
    const page = JSON.parse(byId.stdout);
    assert.ok(page.lines.length >= 1);
    assert.ok(page.lines.every((l: { requestId: string }) => l.requestId === id2), byId.stdout);
    assert.ok(page.lines.some((l: { message: string }) => /handling \{"n":2\}/.test(l.message)));

    const future = await hotswap(["logs", "cli-logs", "--since", new Date(Date.now() + 3600_000).toISOString()], env);
    assert.equal(future.code, 0, shown(future));
    assert.equal(future.stdout.trim(), "(no log lines)");
    const badSince = await hotswap(["logs", "cli-logs", "--since", "yesterday"], env);
    assert.equal(badSince.code, 2, shown(badSince));
    assert.match(badSince.stderr, /--since "yesterday" is not a duration/);

    const follow = spawnHotswap(["logs", "cli-logs", "-f"], env);
    try {
      await waitForCliOutput(follow, /handling \{"n":2\}/, 30_000);
      assert.equal((await hotswap(["invoke", "cli-logs", "--data", '{"n":"live"}'], env)).code, 0);
      await waitForCliOutput(follow, /handling \{"n":"live"\}/, 30_000);
    } finally {
      follow.child.kill("SIGINT");
    }
    assert.equal(await follow.exited, 0, `logs -f ends cleanly on Ctrl-C\n${follow.stderr()}`);
    const followMissing = await hotswap(["logs", "cli-none", "-f"], env);
    assert.equal(followMissing.code, 3, shown(followMissing));
    assert.match(followMissing.stderr, /following the logs of "cli-none" failed: FunctionNotFound \(HTTP 404\)/);
  });

  test("deploy --strategy canary follows the rollout to Succeeded; a rollout rolled back meanwhile exits 5", { timeout: 180_000 }, async () => {
    const dir = join(work, "canary");
    await writeCode(dir, "c1");
    assert.equal((await hotswap(["deploy", dir, "--name", "cli-can", "--runtime", "nodejs20", "--handler", "index.handler", "--alias", "live"], env)).code, 0);
    await writeCode(dir, "c2");
    // The rollout promotes a step only once the new version served --min-requests: send traffic until deploy ends.
    const deploying = spawnHotswap(["deploy", dir, "--name", "cli-can", "--alias", "live", "--strategy", "canary", "--percentage", "50", "--duration", "2s", "--analysis-interval", "1s", "--min-requests", "3"], env);
    let done = false;
    const exited = deploying.exited.finally(() => (done = true));
    await waitForCliOutput(deploying, /Rollout [\w-]+: Canary/, 60_000, "stderr");
    while (!done) {
      expectOk(await apiOf(p).invoke("cli-can", {}, { qualifier: "live" }), "invoking cli-can:live during the canary");
      await new Promise((r) => setTimeout(r, 50));
    }
    const canary = { code: await exited, stdout: deploying.stdout(), stderr: deploying.stderr() };
    assert.equal(canary.code, 0, shown(canary));
    assert.equal(canary.stderr.match(/50% on v2 {2}InProgress/g)?.length, 1, "an unchanged state is shown once");
    assert.match(canary.stderr, /Rollout [\w-]+: Canary of cli-can:live from v1 to v2\./);
    assert.match(canary.stderr, /^\[#{10}-{10}\] +50% on v2 {2}InProgress \(canary\) {2}v1 50% \/ v2 50%$/m, "the progress shows the canary's weights");
    assert.match(canary.stderr, /^\[#{20}\] 100% on v2 {2}Succeeded/m);
    assert.match(canary.stderr, /Rollout [\w-]+ Succeeded/);
    const live = expectOk(await apiOf(p).aliases.get("cli-can", "live"), "reading live");
    assert.equal(live.version, 2);
    assert.deepEqual(live.routingConfig.additionalVersionWeights, {});

    await writeCode(dir, "c3");
    const following = spawnHotswap(["deploy", dir, "--name", "cli-can", "--alias", "live", "--strategy", "canary", "--duration", "10m", "--json"], env);
    const [, id] = await waitForCliOutput(following, /Rollout ([\w-]+): Canary of cli-can:live from v2 to v3\./, 60_000, "stderr");
    await waitForCliOutput(following, /10% on v3 {2}InProgress \(canary\)/, 30_000, "stderr");
    const rb = await hotswap(["rollouts", "rollback", id!, "--reason", "cli test"], env);
    assert.equal(rb.code, 0, shown(rb));
    assert.equal(await following.exited, 5, `deploy exits 5 when its rollout is rolled back\n${following.stderr()}`);
    assert.match(following.stderr(), /Rollout [\w-]+ RolledBack/);
    const result = JSON.parse(following.stdout());
    assert.equal(result.deployment.status, "RolledBack");
    assert.equal(result.version.version, 3);
    assert.equal(expectOk(await apiOf(p).aliases.get("cli-can", "live"), "reading live").version, 2, "the alias is back on v2");
  });
});
