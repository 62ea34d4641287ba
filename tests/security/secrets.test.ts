/**
 * Function secrets end to end on Postgres, Redis and S3: a secret set on create reaches the function
 * in process.env, every answer shows "***", versions snapshot it sealed, "***" on update keeps it,
 * the audit trail masks it, and a tour of the API with every response body and every platform log
 * line recorded finds the secret values nowhere. Plus the audit API's filters and paging, and the
 * admin rotate endpoint's permission.
 */
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { createApiClient } from "../../client/index.ts";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { it, serversSkipReason, startPlatform, type TestPlatform } from "../support/platform.ts";
import { apiOf, expectOk, invokeFunction, nodeCode, publishCode } from "../support/deploy.ts";

const DB_PASSWORD = `pw-${generateApiKey().secret}`;
const API_TOKEN = `tok-${generateApiKey().secret}`;
const ROTATED = `rot-${generateApiKey().secret}`;
const SECRET_VALUES = [DB_PASSWORD, API_TOKEN, ROTATED];

/** Answers the reversed secrets, so the answer proves the function saw them without containing them. */
const REVERSER = nodeCode(`exports.handler = async () => {
  const rev = (s) => (s === undefined ? null : s.split("").reverse().join(""));
  console.log("handler ran");
  return { db: rev(process.env.DB_PASSWORD), token: rev(process.env.API_TOKEN), greeting: process.env.GREETING };
};`);
const rev = (s: string) => s.split("").reverse().join("");

describe("function secrets [servers]", () => {
  let p: TestPlatform | undefined;
  let skip: string | undefined;
  const logLines: string[] = [];
  const bodies: string[] = [];
  const viewerKey = generateApiKey().key;
  let api: ReturnType<typeof createApiClient>;

  before(async () => {
    skip = await serversSkipReason();
    if (skip) return;
    p = await startPlatform("servers", { LOG_LEVEL: "debug", HOTSWAP_METRICS_KEY: viewerKey }, { log: { write: (s: string) => void logLines.push(s) } });
    // Every answer the tour gets, recorded as text.
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      bodies.push(`${init?.method ?? "GET"} ${String(input)} ${res.status} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("; ")}\n${await res.clone().text()}`);
      return res;
    };
    api = createApiClient({ baseUrl: p.url, apiKey: p.key, fetch: recording, timeoutMs: 60_000 });
  });
  after(async () => {
    await p?.close();
  });
  const platform = () => {
    if (skip) throw new (class extends Error {})(skip);
    return p!;
  };

  it("delivers secrets in the environment, shows them as *** everywhere, snapshots them in versions and keeps them on a *** update", async () => {
    platform();
    const name = "secret-fn";
    const tourStart = new Date(Date.now() - 1000).toISOString();
    const created = expectOk(await api.functions.create({ name, runtime: "nodejs20", handler: "index.handler", environment: { GREETING: "hi" }, secrets: { DB_PASSWORD } }), "create", 201);
    assert.deepEqual(created.secrets, { DB_PASSWORD: "***" });
    assert.deepEqual(created.environment, { GREETING: "hi" });
    const v1 = await publishCode(platform(), name, REVERSER);
    const inv = await invokeFunction(platform(), name, {}, { qualifier: String(v1) });
    assert.equal(inv.status, 200, inv.text);
    assert.deepEqual(inv.json, { db: rev(DB_PASSWORD), token: null, greeting: "hi" });

    // Update: "***" keeps DB_PASSWORD, API_TOKEN is new; version 1 keeps its snapshot (no API_TOKEN).
    const updated = expectOk(await api.functions.update(name, { secrets: { DB_PASSWORD: "***", API_TOKEN } }), "update");
    assert.deepEqual(updated.secrets, { API_TOKEN: "***", DB_PASSWORD: "***" });
    const v2 = await publishCode(platform(), name, REVERSER);
    const inv2 = await invokeFunction(platform(), name, {}, { qualifier: String(v2) });
    assert.deepEqual(inv2.json, { db: rev(DB_PASSWORD), token: rev(API_TOKEN), greeting: "hi" });
    const old = await invokeFunction(platform(), name, {}, { qualifier: String(v1) });
    assert.deepEqual(old.json, { db: rev(DB_PASSWORD), token: null, greeting: "hi" });
    assert.deepEqual(expectOk(await api.versions.get(name, v1), "get v1").secrets, { DB_PASSWORD: "***" });
    assert.deepEqual(expectOk(await api.versions.get(name, v2), "get v2").secrets, { API_TOKEN: "***", DB_PASSWORD: "***" });

    // The API tour: every read of the function and its parts.
    expectOk(await api.functions.get(name), "get");
    expectOk(await api.functions.list(), "list");
    expectOk(await api.versions.list(name), "versions");
    expectOk(await api.aliases.put(name, "live", { version: v1 }), "alias", 201);
    expectOk(await api.aliases.get(name, "live"), "alias get");
    expectOk(await api.deployments.create({ functionName: name, alias: "live", version: v2, strategy: "Direct" }), "deploy", 201);
    expectOk(await api.deployments.list(), "deployments");
    expectOk(await api.async.putConfig(name, { maximumRetryAttempts: 0 }), "event-invoke-config");
    const queued = expectOk(await api.async.invoke(name, {}), "async invoke", 202);
    expectOk(await api.async.get(queued.requestId), "invocation record");
    expectOk(await api.triggers.create({ functionName: name, type: "Scheduled", config: { schedule: "rate(1 hour)" } }), "trigger", 201);
    expectOk(await api.triggers.list(), "triggers");
    expectOk(await api.logs.functionLogs(name), "logs");
    expectOk(await api.audit.list(), "audit");
    expectOk(await api.audit.list({ resource: `function:${name}` }), "audit of the function");
    expectOk(await api.secrets.rotate(), "rotate");
    // Bad input that echoes fields: a secret name the function lacks, a secret both in environment and secrets.
    const bad = await api.functions.update(name, { secrets: { NOPE: "***" } });
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.error.code, "ValidationError");
    const both = await api.functions.update(name, { environment: { ROTATED }, secrets: { ROTATED } });
    assert.equal(!both.ok && both.error.code, "ValidationError", "a name in both environment and secrets is refused");
    expectOk(await api.functions.update(name, { secrets: { DB_PASSWORD: "***", API_TOKEN: "***", ROTATED } }), "add a third secret");
    expectOk(await api.functions.delete(name), "delete");

    // Every management write of the tour left an audit row (read with the unrecorded client, after the grep's answers were taken).
    const actions = new Set<string>();
    for (let cursor: string | undefined, i = 0; i < 20; i++) {
      const page = expectOk(await apiOf(platform()).audit.list({ from: tourStart, limit: 500, cursor }), "audit");
      for (const e of page.entries) actions.add(e.action);
      if (!(cursor = page.nextCursor)) break;
    }
    for (const a of ["function.create", "function.update", "version.publish", "alias.create", "deployment.create", "event-invoke-config.put", "trigger.create", "secrets.rotate", "function.delete"]) {
      assert.ok(actions.has(a), `no audit row for ${a} (have ${[...actions].join(", ")})`);
    }
    assert.ok(bodies.length >= 20, `recorded ${bodies.length} answers`);
    const everything = bodies.join("\n");
    assert.ok(everything.includes('"DB_PASSWORD":"***"'), "the masked secret is in the answers");
    for (const s of SECRET_VALUES) assert.ok(!everything.includes(s), `a response body contains the secret ${s.slice(0, 6)}…`);
    const logs = logLines.join("");
    assert.ok(logLines.length > 0, "the platform logged something");
    for (const s of SECRET_VALUES) assert.ok(!logs.includes(s), `a platform log line contains the secret ${s.slice(0, 6)}…`);
  }, { timeout: 120_000 });

  it("writes an audit row for every management write, with secrets masked, filtered by actor, action, resource and time, paged by cursor", async () => {
    platform();
    const name = "audited-fn";
    const from = new Date(Date.now() - 1000).toISOString();
    expectOk(await api.functions.create({ name, runtime: "nodejs20", handler: "index.handler", secrets: { DB_PASSWORD } }), "create", 201);
    expectOk(await api.functions.update(name, { secrets: { DB_PASSWORD: "***", API_TOKEN }, memorySize: 512 }), "update");
    const version = await publishCode(platform(), name, REVERSER);
    expectOk(await api.aliases.put(name, "live", { version }), "alias", 201);
    expectOk(await api.async.putConfig(name, { maximumRetryAttempts: 1 }), "event-invoke-config");
    expectOk(await api.async.deleteConfig(name), "event-invoke-config delete", 204);

    const all = expectOk(await api.audit.list({ from, resource: `function:${name}` }), "audit").entries;
    assert.deepEqual(all.map((e) => e.action), ["version.publish", "function.update", "function.create"]);
    const update = all.find((e) => e.action === "function.update")!;
    assert.equal(update.actor, `key:${p!.key.split("_")[1]}`);
    assert.ok(update.requestId);
    assert.deepEqual((update.before as any).secrets, { DB_PASSWORD: "***" });
    assert.deepEqual((update.after as any).secrets, { API_TOKEN: "***", DB_PASSWORD: "***" });
    assert.equal((update.after as any).memorySize, 512);
    const eic = expectOk(await api.audit.list({ action: "event-invoke-config.*", resource: `event-invoke-config:${name}` }), "eic").entries;
    assert.deepEqual(eic.map((e) => e.action), ["event-invoke-config.delete", "event-invoke-config.put"]);
    assert.equal(expectOk(await api.audit.list({ resource: `alias:${name}:live` }), "alias").entries[0]?.action, "alias.create");

    // Paging: two at a time, the cursor walks back without repeats.
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = expectOk(await api.audit.list({ from, limit: 2, cursor }), "page");
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    assert.ok(seen.length >= 7, `paged through ${seen.length} entries`);
    assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
    assert.equal(new Set(seen).size, seen.length);
    // Time filter: nothing after now + 1 h.
    assert.deepEqual(expectOk(await api.audit.list({ from: new Date(Date.now() + 3_600_000).toISOString() }), "future").entries, []);
    // Actor filter: nobody else wrote.
    assert.deepEqual(expectOk(await api.audit.list({ actor: "key:nobody" }), "nobody").entries, []);
    const text = JSON.stringify(all);
    for (const s of SECRET_VALUES) assert.ok(!text.includes(s));
  });

  it("refuses bad audit queries precisely, and the audit trail and the rotate endpoint to a viewer", async () => {
    platform();
    const badFrom = await api.audit.list({ from: "yesterday" });
    assert.equal(!badFrom.ok && badFrom.error.code, "ValidationError");
    assert.match(!badFrom.ok ? badFrom.error.message : "", /from.*ISO-8601/);
    const swapped = await api.audit.list({ from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" });
    assert.match(!swapped.ok ? swapped.error.message : "", /swap them/);
    const badCursor = await api.audit.list({ cursor: "abc" });
    assert.equal(!badCursor.ok && badCursor.error.code, "ValidationError");

    const viewer = createApiClient({ baseUrl: platform().url, apiKey: viewerKey });
    const audit = await viewer.audit.list();
    assert.equal(!audit.ok && audit.error.status, 403);
    assert.match(!audit.ok ? audit.error.message : "", /audit:read/);
    const rotate = await viewer.secrets.rotate();
    assert.equal(!rotate.ok && rotate.error.status, 403);
    assert.match(!rotate.ok ? rotate.error.message : "", /secrets:write/);
    expectOk(await viewer.functions.list(), "a viewer still reads functions");
  });

  it("the rotate endpoint reports the current key id and audits itself", async () => {
    const r = expectOk(await apiOf(platform()).secrets.rotate(), "rotate");
    assert.match(r.keyId, /^[A-Za-z0-9_-]{8}$/);
    assert.equal(r.functions + r.versions, 0, "everything was sealed under the current key already");
    assert.ok(r.unchanged >= 1);
    const row = expectOk(await api.audit.list({ action: "secrets.rotate", limit: 1 }), "audit").entries[0];
    assert.equal(row?.resource.id, r.keyId);
  });
});
