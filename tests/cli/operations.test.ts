/**
 * `hotswap rollouts ls|get|watch|pause|resume|promote|rollback|approve|reject`, `keys ls|create|revoke`,
 * `triggers ls|create|rm` and `runners ls` against an embedded platform: --json is the API's object,
 * the tables show the fields, `rollouts watch` exits 5 on a rollback, an approval needs another
 * principal (a key made with `keys create --can-approve`), and a revoked key is refused with exit 4.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { apiOf, deployFunction, expectOk, nodeCode } from "../support/deploy.ts";
import { waitFor } from "../support/wait-for.ts";
import { hotswap, shown, spawnHotswap, waitForCliOutput } from "./support.ts";

const code = (label: string) => nodeCode(`exports.handler = async () => ({ label: ${JSON.stringify(label)} });`);

describe("hotswap rollouts, keys, triggers and runners", () => {
  let p: TestPlatform;
  let env: Record<string, string>;
  const status = async (id: string) => expectOk(await apiOf(p).deployments.get(id), `reading ${id}`);
  const waitStatus = (id: string, want: string) =>
    waitFor(`deployment ${id} ${want}`, () => status(id), { until: (d) => d.status === want, timeoutMs: 30_000, intervalMs: 100 });
  const start = async (fn: string, version: number) =>
    expectOk(
      await apiOf(p).deployments.create({ functionName: fn, version, strategy: "Canary", config: { canaryPercentage: 25, canaryDuration: "PT10M" }, analysis: { interval: "PT1S" } }),
      `starting a canary of ${fn} v${version}`,
    ).deploymentId;
  before(async () => {
    p = await startPlatform("embedded");
    env = { HOTSWAP_URL: p.url, HOTSWAP_API_KEY: p.key };
  });
  after(async () => {
    await p?.close();
  });

  test("rollouts ls, get, pause, resume, promote, and commands refused on a finished one", { timeout: 150_000 }, async () => {
    await deployFunction(p, { name: "cli-ro", code: [code("v1"), code("v2"), code("v3")], alias: { name: "live", version: 1 } });
    const id = await start("cli-ro", 2);
    await waitFor("the canary phase", () => status(id), { until: (d) => d.phase === "canary", timeoutMs: 30_000, intervalMs: 100 });

    const ls = await hotswap(["rollouts", "ls", "--function", "cli-ro"], env);
    assert.equal(ls.code, 0, shown(ls));
    assert.match(ls.stdout, /^ID\s+FUNCTION\s+VERSIONS\s+STRATEGY\s+STATUS\s+PHASE\s+PROGRESS\s+CREATED$/m);
    assert.match(ls.stdout, new RegExp(`^${id}\\s+cli-ro:live\\s+v1→v2\\s+Canary\\s+InProgress\\s+canary\\s+25%`, "m"));
    const lsJson = await hotswap(["rollouts", "ls", "--function", "cli-ro", "--status", "InProgress", "--json"], env);
    assert.equal(lsJson.code, 0, shown(lsJson));
    assert.deepEqual(JSON.parse(lsJson.stdout).deployments.map((d: { deploymentId: string }) => d.deploymentId), [id]);
    const badStatus = await hotswap(["rollouts", "ls", "--status", "Sideways"], env);
    assert.equal(badStatus.code, 2, shown(badStatus));

    const get = await hotswap(["rollouts", "get", id], env);
    assert.equal(get.code, 0, shown(get));
    assert.match(get.stdout, /^function: +cli-ro:live$/m);
    assert.match(get.stdout, /^versions: +v1 → v2$/m);
    assert.match(get.stdout, /^weights: +v1 75% \/ v2 25%$/m);
    assert.match(get.stdout, /^events:\n/m);
    const getJson = await hotswap(["rollouts", "get", id, "--json"], env);
    const viaCli = JSON.parse(getJson.stdout);
    assert.equal(viaCli.deploymentId, id);
    assert.deepEqual(Object.keys(viaCli).sort(), Object.keys(await status(id)).sort(), "the API's Deployment object");

    const pause = await hotswap(["rollouts", "pause", id, "--reason", "looking"], env);
    assert.equal(pause.code, 0, shown(pause));
    assert.match(pause.stdout, new RegExp(`Deployment ${id}: `));
    await waitStatus(id, "Paused");
    assert.equal((await hotswap(["rollouts", "resume", id], env)).code, 0);
    await waitStatus(id, "InProgress");
    const promote = await hotswap(["rollouts", "promote", id, "--json"], env);
    assert.equal(promote.code, 0, shown(promote));
    assert.equal(JSON.parse(promote.stdout).deploymentId, id);
    await waitStatus(id, "Succeeded");
    const watchDone = await hotswap(["rollouts", "watch", id], env);
    assert.equal(watchDone.code, 0, shown(watchDone));
    assert.match(watchDone.stdout, new RegExp(`Deployment ${id} Succeeded`));

    const late = await hotswap(["rollouts", "pause", id], env);
    assert.equal(late.code, 1, shown(late));
    assert.match(late.stderr, /pause of deployment .* failed: DeploymentConflict \(HTTP 409\)/);
    const missing = await hotswap(["rollouts", "get", "00000000-0000-4000-8000-000000000000"], env);
    assert.equal(missing.code, 3, shown(missing));
    assert.match(missing.stderr, /DeploymentNotFound \(HTTP 404\)/);
  });

  test("rollouts watch follows a rollout and exits 5 when it is rolled back", { timeout: 120_000 }, async () => {
    await deployFunction(p, { name: "cli-rw", code: [code("v1"), code("v2")], alias: { name: "live", version: 1 } });
    const id = await start("cli-rw", 2);
    const watch = spawnHotswap(["rollouts", "watch", id, "--interval", "200"], env);
    await waitForCliOutput(watch, /25% on v2 {2}InProgress \(canary\) {2}v1 75% \/ v2 25%/, 30_000, "stderr");
    const rb = await hotswap(["rollouts", "rollback", id, "--reason", "from the cli"], env);
    assert.equal(rb.code, 0, shown(rb));
    assert.equal(await watch.exited, 5, watch.stderr());
    assert.match(watch.stdout(), new RegExp(`Deployment ${id} RolledBack`));
    assert.match(watch.stderr(), /from the cli/, "the rollback's reason is among the events shown");
  });

  test("keys create (secret shown once), ls and revoke; approve and reject need another principal", { timeout: 150_000 }, async () => {
    const created = await hotswap(["keys", "create", "--name", "cli-approver", "--role", "deployer", "--can-approve", "--functions", "cli-ap*", "--json"], env);
    assert.equal(created.code, 0, shown(created));
    const key = JSON.parse(created.stdout);
    assert.match(key.key, /^hs_[a-z0-9]+_\w+$/);
    assert.equal(key.canApprove, true);
    assert.deepEqual(key.functions, ["cli-ap*"]);
    const human = await hotswap(["keys", "create", "--name", "cli-viewer", "--role", "viewer"], env);
    assert.equal(human.code, 0, shown(human));
    const viewerKey = /API key \(shown once; store it now\):\n {2}(hs_\S+)/.exec(human.stdout)?.[1];
    assert.ok(viewerKey, human.stdout);

    const ls = await hotswap(["keys", "ls"], env);
    assert.equal(ls.code, 0, shown(ls));
    assert.match(ls.stdout, new RegExp(`^${key.id}\\s+cli-approver\\s+deployer\\s+cli-ap\\*\\s+yes\\s`, "m"));
    assert.doesNotMatch(ls.stdout, /hs_[a-z0-9]+_/, "never a secret");
    const lsJson = await hotswap(["keys", "ls", "--json"], env);
    assert.deepEqual(JSON.parse(lsJson.stdout).keys.map((k: { id: string }) => k.id).sort(), expectOk(await apiOf(p).keys.list(), "listing keys").keys.map((k) => k.id).sort());
    const badRole = await hotswap(["keys", "create", "--name", "x", "--role", "emperor"], env);
    assert.equal(badRole.code, 2, shown(badRole));

    // A protected alias: a deployment waits for another principal's approval.
    await deployFunction(p, { name: "cli-ap", code: [code("v1"), code("v2"), code("v3")] });
    expectOk(await apiOf(p).aliases.put("cli-ap", "live", { version: 1, protected: true }), "protecting live");
    const dir = await mkdtemp(join(tmpdir(), "hs-cli-ap-"));
    await writeFile(join(dir, "index.js"), 'exports.handler = async () => ({ label: "v4" });');
    await writeFile(join(dir, "package.json"), '{"type":"commonjs"}');
    const asked = await hotswap(["deploy", dir, "--name", "cli-ap", "--alias", "live", "--strategy", "canary", "--no-wait", "--json"], env);
    await rm(dir, { recursive: true, force: true });
    assert.equal(asked.code, 0, shown(asked));
    const pending = JSON.parse(asked.stdout).deployment;
    assert.equal(pending.status, "PendingApproval", "deploy --no-wait returns the deployment as started");
    assert.equal(pending.toVersion, 4);
    const first = pending.deploymentId as string;
    const self = await hotswap(["rollouts", "approve", first], env);
    assert.equal(self.code, 4, shown(self));
    assert.match(self.stderr, /approving deployment .* failed: Forbidden \(HTTP 403\)/);
    const approved = await hotswap(["rollouts", "approve", first, "--json"], { ...env, HOTSWAP_API_KEY: key.key });
    assert.equal(approved.code, 0, shown(approved));
    assert.equal(JSON.parse(approved.stdout).approval.approvedBy.includes(key.id), true, approved.stdout);
    await waitFor("the approved rollout to run", () => status(first), { until: (d) => d.status === "InProgress", timeoutMs: 30_000, intervalMs: 100 });
    expectOk(await apiOf(p).deployments.promote(first), "promoting the approved rollout");
    await waitStatus(first, "Succeeded");

    const second = expectOk(await apiOf(p).deployments.create({ functionName: "cli-ap", version: 3, strategy: "Direct" }), "asking again").deploymentId;
    const noReason = await hotswap(["rollouts", "reject", second], { ...env, HOTSWAP_API_KEY: key.key });
    assert.equal(noReason.code, 2, shown(noReason));
    const rejected = await hotswap(["rollouts", "reject", second, "--reason", "not today"], { ...env, HOTSWAP_API_KEY: key.key });
    assert.equal(rejected.code, 0, shown(rejected));
    await waitStatus(second, "Failed");

    const revoke = await hotswap(["keys", "revoke", key.id], env);
    assert.equal(revoke.code, 0, shown(revoke));
    assert.match(revoke.stdout, new RegExp(`Revoked API key ${key.id}\\.`));
    const refused = await waitFor("the revoked key to be refused", async () => {
      const r = await hotswap(["functions", "ls"], { ...env, HOTSWAP_API_KEY: key.key });
      return r.code === 4 ? r : undefined;
    }, { timeoutMs: 40_000, intervalMs: 500 });
    assert.match(refused.stderr, /Unauthorized \(HTTP 401\)/);
    const revokeMissing = await hotswap(["keys", "revoke", "zzzz9999"], env);
    assert.equal(revokeMissing.code, 3, shown(revokeMissing));
    const asViewer = await hotswap(["keys", "ls"], { ...env, HOTSWAP_API_KEY: viewerKey! });
    assert.equal(asViewer.code, 4, shown(asViewer));
  });

  test("triggers create (Http with --path/--method, Scheduled with --schedule, --config JSON), ls and rm; runners ls", { timeout: 120_000 }, async () => {
    await deployFunction(p, { name: "cli-tr", code: nodeCode("exports.handler = async (e) => ({ statusCode: 200, body: 'routed ' + e.rawPath });") });
    const http = await hotswap(["triggers", "create", "--function", "cli-tr", "--type", "Http", "--path", "/cli/hello", "--method", "GET", "--config", '{"auth":"none"}', "--json"], env);
    assert.equal(http.code, 0, shown(http));
    const trigger = JSON.parse(http.stdout);
    assert.deepEqual(trigger, expectOk(await apiOf(p).triggers.get(trigger.triggerId), "reading the trigger"));
    assert.equal(trigger.config.path, "/cli/hello");
    assert.deepEqual(trigger.config.methods, ["GET"]);
    const routed = await waitFor("the route to answer", async () => {
      const r = await fetch(`${p.url}/fn/cli/hello`);
      return r.status === 200 ? r.text() : undefined;
    }, { timeoutMs: 20_000, intervalMs: 100 });
    assert.equal(routed, "routed /cli/hello");

    const sched = await hotswap(["triggers", "create", "--function", "cli-tr", "--type", "Scheduled", "--schedule", "rate(1 hour)", "--disabled"], env);
    assert.equal(sched.code, 0, shown(sched));
    const schedId = /Created trigger (\S+)\./.exec(sched.stdout)?.[1];
    assert.ok(schedId, sched.stdout);

    const ls = await hotswap(["triggers", "ls", "--function", "cli-tr"], env);
    assert.equal(ls.code, 0, shown(ls));
    assert.match(ls.stdout, new RegExp(`^${trigger.triggerId}\\s+cli-tr:\\$LATEST\\s+Http\\s+GET /cli/hello\\s+yes\\s+\\d+\\s+0\\s+-$`, "m"));
    assert.match(ls.stdout, new RegExp(`^${schedId}\\s+cli-tr:\\$LATEST\\s+Scheduled\\s+rate\\(1 hour\\)\\s+no\\s`, "m"));
    const lsJson = await hotswap(["triggers", "ls", "--type", "Scheduled", "--json"], env);
    assert.deepEqual(JSON.parse(lsJson.stdout).triggers.map((t: { triggerId: string }) => t.triggerId), [schedId]);

    const invalid = await hotswap(["triggers", "create", "--function", "cli-tr", "--type", "Http", "--path", "no-slash"], env);
    assert.equal(invalid.code, 1, shown(invalid));
    assert.match(invalid.stderr, /creating a Http trigger for "cli-tr" failed: ValidationError \(HTTP 400\)/);
    const notJson = await hotswap(["triggers", "create", "--function", "cli-tr", "--type", "Http", "--config", "{"], env);
    assert.equal(notJson.code, 2, shown(notJson));

    assert.equal((await hotswap(["triggers", "rm", trigger.triggerId], env)).code, 0);
    const again = await hotswap(["triggers", "rm", trigger.triggerId], env);
    assert.equal(again.code, 3, shown(again));
    assert.match(again.stderr, /TriggerNotFound \(HTTP 404\)/);

    const runners = await hotswap(["runners", "ls", "--json"], env);
    assert.equal(runners.code, 0, shown(runners));
    const listed = JSON.parse(runners.stdout).runners as Array<{ id: string; pool: string }>;
    assert.deepEqual(listed.map((r) => r.id), expectOk(await apiOf(p).runners.list(), "listing runners").runners.map((r) => r.id));
    const table = await hotswap(["runners", "ls", "--all"], env);
    assert.equal(table.code, 0, shown(table));
    assert.match(table.stdout, /^ID\s+POOL\s+BACKEND\s+STATUS\s+INFLIGHT\s+INSTANCES\s+MEMORY MB\s+WARM\s+HEARTBEAT$/m);
    assert.ok(listed.length >= 1, "the embedded runner is listed");
    for (const r of listed) assert.match(table.stdout, new RegExp(`^${r.id}\\s+${r.pool}\\s`, "m"));
  });
});
