/**
 * The typed client against a real control plane started in this process (embedded adapters):
 * every resource's happy path and its expected failures as `{ ok: false }` values, with every
 * answer checked against the API's own schemas by the client.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { startPlatform, type TestPlatform } from "../tests/support/platform.ts";
import { zipFiles, zipFixture } from "../tests/support/zip.ts";
import { createApiClient, type ApiClient, type ApiResult } from "./index.ts";

/** The value of a successful result (fails the test with the API's error otherwise). */
function ok<T>(r: ApiResult<T>, status?: number): T {
  if (!r.ok) assert.fail(`expected success, got ${r.error.code} (HTTP ${r.error.status}): ${r.error.message}`);
  if (status !== undefined) assert.equal(r.status, status);
  return r.value;
}

/** The failure of a result (fails the test when it succeeded). */
function failure<T>(r: ApiResult<T>) {
  if (r.ok) assert.fail(`expected a failure, got HTTP ${r.status}: ${JSON.stringify(r.value)}`);
  return r.error;
}

const ECHO = zipFiles({ "index.js": "exports.handler = async (event, context) => ({ echo: event, version: context.functionVersion });", "package.json": '{"type":"commonjs"}' });
const THROWS = zipFixture("node-throws");

describe("API client against an embedded control plane", { timeout: 120_000 }, () => {
  let p: TestPlatform;
  let api: ApiClient;
  before(async () => {
    p = await startPlatform("embedded");
    api = createApiClient({ baseUrl: p.url, apiKey: p.key });
  });
  after(async () => {
    await p?.close();
  });

  test("functions: create with defaults, list, get, update, delete", async () => {
    const created = ok(await api.functions.create({ name: "crud", runtime: "nodejs20", handler: "index.handler", environment: { A: "1" } }), 201);
    assert.equal(created.memorySize, 256);
    assert.equal(created.protocol, "fast");
    assert.equal(created.latestVersion, null);
    assert.ok(ok(await api.functions.list()).functions.some((f) => f.name === "crud"));
    assert.deepEqual(ok(await api.functions.get("crud")).environment, { A: "1" });
    const updated = ok(await api.functions.update("crud", { memorySize: 512, reservedConcurrency: 3 }), 200);
    assert.equal(updated.memorySize, 512);
    assert.equal(updated.reservedConcurrency, 3);
    const deleted = await api.functions.delete("crud");
    assert.deepEqual(deleted, { ok: true, status: 204, value: undefined, requestId: deleted.ok ? deleted.requestId : undefined });
    const gone = failure(await api.functions.get("crud"));
    assert.equal(gone.status, 404);
    assert.equal(gone.code, "FunctionNotFound");
    assert.match(gone.message, /"crud"/);
    assert.ok(gone.requestId, "the failure carries the request id");
  });

  test("functions: a duplicate is FunctionAlreadyExists, an unknown runtime UnknownRuntime with the valid ones, a bad field ValidationError", async () => {
    ok(await api.functions.create({ name: "dup", runtime: "nodejs20", handler: "index.handler" }), 201);
    const dup = failure(await api.functions.create({ name: "dup", runtime: "nodejs20", handler: "index.handler" }));
    assert.deepEqual([dup.status, dup.code], [409, "FunctionAlreadyExists"]);
    const rt = failure(await api.functions.create({ name: "badrt", runtime: "cobol85", handler: "index.handler" }));
    assert.deepEqual([rt.status, rt.code], [400, "UnknownRuntime"]);
    assert.deepEqual(rt.details?.validRuntimes, ["nodejs20", "nodejs22", "python3.11", "python3.12", "java17", "ruby3.1", "provided"]);
    const bad = failure(await api.functions.create({ name: "bad name!", runtime: "nodejs20", handler: "index.handler", memorySize: 5 }));
    assert.deepEqual([bad.status, bad.code], [400, "ValidationError"]);
    assert.match(bad.message, /"memorySize"/);
    const missing = failure(await api.functions.update("nope", { memorySize: 512 }));
    assert.equal(missing.code, "FunctionNotFound");
  });

  test("versions: publish a zip, list and get them; a bad zip, a missing handler and a missing function fail", async () => {
    ok(await api.functions.create({ name: "ver", runtime: "nodejs20", handler: "index.handler" }), 201);
    const v1 = ok(await api.versions.publish("ver", ECHO, { description: "first" }), 201);
    assert.deepEqual(v1, { version: 1, codeSha256: createHash("sha256").update(ECHO).digest("hex"), codeSize: ECHO.length });
    assert.equal(ok(await api.versions.publish("ver", ECHO)).version, 2);
    const list = ok(await api.versions.list("ver"));
    assert.deepEqual(
      list.versions.map((v) => [v.version, v.description]),
      [
        [1, "first"],
        [2, ""],
      ],
    );
    const got = ok(await api.versions.get("ver", 1));
    assert.equal(got.runtime, "nodejs20");
    assert.equal(got.codeSha256, v1.codeSha256);
    assert.equal(ok(await api.functions.get("ver")).latestVersion, 2);
    const noVersion = failure(await api.versions.get("ver", 9));
    assert.deepEqual([noVersion.status, noVersion.code], [404, "VersionNotFound"]);
    assert.equal(failure(await api.versions.publish("ver", new Uint8Array([1, 2, 3]))).code, "InvalidZip");
    assert.equal(failure(await api.versions.publish("ver", zipFiles({ "other.js": "" }))).code, "InvalidHandler");
    assert.equal(failure(await api.versions.publish("nope", ECHO)).code, "FunctionNotFound");
  });

  test("aliases: put creates (201) then updates (200) with weights, get, list, delete; missing ones fail", async () => {
    ok(await api.functions.create({ name: "ali", runtime: "nodejs20", handler: "index.handler" }), 201);
    ok(await api.versions.publish("ali", ECHO));
    ok(await api.versions.publish("ali", ECHO));
    const created = ok(await api.aliases.put("ali", "live", { version: 1 }), 201);
    assert.deepEqual(created.routingConfig, { additionalVersionWeights: {} });
    const updated = ok(await api.aliases.put("ali", "live", { version: 1, routingConfig: { additionalVersionWeights: { "2": 0.25 } }, description: "prod" }), 200);
    assert.deepEqual(updated.routingConfig.additionalVersionWeights, { "2": 0.25 });
    assert.equal(ok(await api.aliases.get("ali", "live")).description, "prod");
    assert.deepEqual(
      ok(await api.aliases.list("ali")).aliases.map((a) => a.name),
      ["live"],
    );
    const badVersion = failure(await api.aliases.put("ali", "beta", { version: 7 }));
    assert.equal(badVersion.code, "VersionNotFound");
    const badWeights = failure(await api.aliases.put("ali", "beta", { version: 1, routingConfig: { additionalVersionWeights: { "2": 1.5 } } }));
    assert.equal(badWeights.status, 400);
    assert.equal(ok(await api.aliases.delete("ali", "live"), 204), undefined);
    const gone = failure(await api.aliases.get("ali", "live"));
    assert.deepEqual([gone.status, gone.code], [404, "AliasNotFound"]);
  });

  test("invoke: the answer with version and cold-start headers, by version or alias; a handler error is ok with functionError", async () => {
    ok(await api.functions.create({ name: "inv", runtime: "nodejs20", handler: "index.handler" }), 201);
    ok(await api.versions.publish("inv", ECHO));
    ok(await api.versions.publish("inv", ECHO));
    ok(await api.aliases.put("inv", "live", { version: 1 }));
    const live = ok(await api.invoke("inv", { hi: 1 }));
    assert.equal(live.status, 200);
    assert.deepEqual(live.payload, { echo: { hi: 1 }, version: "1" });
    assert.equal(live.version, 1, "unqualified runs alias live");
    assert.equal(live.coldStart, true);
    assert.ok(live.requestId);
    const warm = ok(await api.invoke("inv", { hi: 2 }, { qualifier: "live" }));
    assert.equal(warm.coldStart, false);
    assert.equal(warm.start, undefined);
    assert.equal(ok(await api.invoke("inv", {}, { qualifier: 2 })).version, 2);
    assert.equal(ok(await api.invoke("inv", {}, { qualifier: "$LATEST" })).version, 2);
    const raw = ok(await api.invoke("inv", undefined, { body: '{"raw":true}' }));
    assert.deepEqual(raw.payload, { echo: { raw: true }, version: "1" });

    ok(await api.functions.create({ name: "thrower", runtime: "nodejs20", handler: "index.handler" }), 201);
    ok(await api.versions.publish("thrower", THROWS));
    const threw = await api.invoke("thrower", { x: 1 });
    assert.ok(threw.ok, "a handler's error is the function's answer");
    assert.equal(threw.value.status, 500);
    assert.equal(threw.value.functionError, "Unhandled");
    assert.equal((threw.value.payload as { errorType: string }).errorType, "ValidationError");
  });

  test("invoke: platform failures are ok: false with the API's code", async () => {
    const missing = failure(await api.invoke("no-such-fn", {}));
    assert.deepEqual([missing.status, missing.code], [404, "FunctionNotFound"]);
    ok(await api.functions.create({ name: "noversion", runtime: "nodejs20", handler: "index.handler" }), 201);
    ok(await api.versions.publish("noversion", ECHO));
    const badQualifier = failure(await api.invoke("noversion", {}, { qualifier: "nope" }));
    assert.deepEqual([badQualifier.status, badQualifier.code], [404, "AliasNotFound"]);
    const tooBig = failure(await api.invoke("noversion", undefined, { body: "x".repeat(6 * 1024 * 1024 + 1) }));
    assert.deepEqual([tooBig.status, tooBig.code], [413, "PayloadTooLarge"]);
  });

  test("lambda.invoke: Lambda's answers, qualifier in the name, errors with Lambda's error type", async () => {
    ok(await api.functions.create({ name: "lam", runtime: "nodejs20", handler: "index.handler" }), 201);
    ok(await api.versions.publish("lam", ECHO));
    ok(await api.aliases.put("lam", "live", { version: 1 }));
    const r = ok(await api.lambda.invoke("lam:live", { a: 1 }));
    assert.equal(r.status, 200);
    assert.deepEqual(r.payload, { echo: { a: 1 }, version: "1" });
    assert.equal(r.executedVersion, "1");
    assert.equal(r.functionError, undefined);
    assert.ok(r.requestId);
    const dry = ok(await api.lambda.invoke("lam", undefined, { invocationType: "DryRun", qualifier: 1 }));
    assert.equal(dry.status, 204);
    assert.equal(dry.executedVersion, "1");
    const missing = failure(await api.lambda.invoke("no-such-fn", {}));
    assert.equal(missing.status, 404);
    assert.equal(missing.code, "FunctionNotFound");
    assert.equal(missing.details?.errorType, "ResourceNotFoundException");
  });

  test("deployments: create a canary, read and list it, pause, resume, roll back; conflicts and unknown ids fail", async () => {
    ok(await api.functions.create({ name: "dep", runtime: "nodejs20", handler: "index.handler" }), 201);
    ok(await api.versions.publish("dep", ECHO));
    ok(await api.versions.publish("dep", ECHO));
    ok(await api.aliases.put("dep", "live", { version: 1 }));
    const started = ok(await api.deployments.create({ functionName: "dep", version: 2, strategy: "Canary", config: { canaryPercentage: 10, canaryDuration: "PT10M" } }), 201);
    assert.equal(started.status, "Pending");
    assert.equal(started.toVersion, 2);
    const id = started.deploymentId;
    const read = ok(await api.deployments.get(id));
    assert.equal(read.deploymentId, id);
    assert.ok(Array.isArray(read.events));
    assert.ok(ok(await api.deployments.list({ functionName: "dep" })).deployments.some((d) => d.deploymentId === id));
    assert.deepEqual(ok(await api.deployments.list({ functionName: "other" })).deployments, []);
    const conflict = failure(await api.deployments.create({ functionName: "dep", version: 2, strategy: "Direct" }));
    assert.deepEqual([conflict.status, conflict.code], [409, "DeploymentConflict"]);

    const paused = await api.deployments.pause(id, { reason: "looking" });
    assert.ok(paused.ok && [200, 202].includes(paused.status), JSON.stringify(paused));
    const resumed = await api.deployments.resume(id);
    assert.ok(resumed.ok, JSON.stringify(resumed));
    const rolledBack = await api.deployments.rollback(id, { reason: "enough" });
    assert.ok(rolledBack.ok, JSON.stringify(rolledBack));

    const unknown = failure(await api.deployments.get("no-such-deployment"));
    assert.deepEqual([unknown.status, unknown.code], [404, "DeploymentNotFound"]);
    const badStrategy = failure(await api.deployments.create({ functionName: "dep", version: 2, strategy: "Canary", config: { canaryPercentage: 100 } }));
    assert.equal(badStrategy.code, "ValidationError");
  });

  test("system: health, runtimes, runners and the OpenAPI document", async () => {
    const health = ok(await api.system.health(), 200);
    assert.equal(health.status, "ok");
    assert.deepEqual(health.checks, { database: "ok", state: "ok", codeStore: "ok", runners: "ok" });
    const runtimes = ok(await api.system.runtimes());
    assert.equal(runtimes.backend, "process");
    assert.ok(runtimes.runtimes.some((r) => r.id === "nodejs20" && r.available));
    const runners = ok(await api.runners.list());
    assert.equal(runners.runners.length, 1);
    assert.equal(runners.runners[0]!.pool, "embedded");
    assert.equal(ok(await api.runners.list({ includeGone: true })).runners.length, 1);
    const doc = ok(await api.system.openapi());
    assert.ok((doc.paths as Record<string, unknown>)["/api/v1/deployments/{id}/promote"]);
    const metrics = ok(await api.system.metrics());
    assert.match(metrics, /^# HELP hotswap_invocations_total /m);
  });

  test("has a method for every operation of the API's OpenAPI document", async () => {
    const doc = ok(await api.system.openapi()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    // Every method once, through a fetch that records what it was asked.
    const called: string[] = [];
    const recording = createApiClient({
      baseUrl: "http://hotswap.test",
      fetch: (async (url: string | URL | Request, init?: RequestInit) => {
        called.push(`${init?.method ?? "GET"} ${new URL(String(url)).pathname}`);
        return new Response("{}", { status: 200 });
      }) as typeof fetch,
    });
    const zip = new Uint8Array(1);
    await Promise.all([
      recording.functions.create({ name: "f", runtime: "nodejs20", handler: "i.h" }),
      recording.functions.list(),
      recording.functions.get("f"),
      recording.functions.update("f", {}),
      recording.functions.delete("f"),
      recording.versions.publish("f", zip),
      recording.versions.list("f"),
      recording.versions.get("f", 1),
      recording.aliases.put("f", "a", { version: 1 }),
      recording.aliases.get("f", "a"),
      recording.aliases.list("f"),
      recording.aliases.delete("f", "a"),
      recording.deployments.create({ functionName: "f", version: 1, strategy: "Direct" }),
      recording.deployments.list(),
      recording.deployments.get("d"),
      recording.deployments.follow("d").next(),
      recording.deployments.pause("d"),
      recording.deployments.resume("d"),
      recording.deployments.promote("d"),
      recording.deployments.rollback("d"),
      recording.deployments.approve("d"),
      recording.deployments.reject("d", "not now"),
      recording.runners.list(),
      recording.system.health(),
      recording.system.runtimes(),
      recording.system.metrics(),
      recording.system.whoami(),
      recording.invoke("f", {}),
      recording.functionUsage("f"),
      recording.usage(),
      recording.triggers.create({ functionName: "f", type: "Http", config: {} }),
      recording.triggers.list(),
      recording.triggers.get("t"),
      recording.triggers.update("t", {}),
      recording.triggers.delete("t"),
      recording.logs.functionLogs("f"),
      recording.async.invoke("f", {}),
      recording.async.get("r"),
      recording.async.list("f"),
      recording.async.putConfig("f", {}),
      recording.async.getConfig("f"),
      recording.async.deleteConfig("f"),
      recording.audit.list(),
      recording.secrets.rotate(),
      recording.keys.create({ name: "k", role: "viewer" }),
      recording.keys.list(),
      recording.keys.get("k"),
      recording.keys.revoke("k"),
      recording.keys.rotate("k"),
      recording.layers.publish("l", zip),
      recording.layers.list(),
      recording.layers.versions("l"),
      recording.layers.get("l", 1),
      recording.layers.delete("l", 1),
    ]);
    const template = (path: string) => path.replace(/\{[^}]+\}/g, "[^/]+");
    const missing = operations.filter((op) => {
      const [method, path] = op.split(" ") as [string, string];
      const re = new RegExp(`^${method} ${template(path)}$`);
      return !called.some((c) => re.test(c));
    });
    assert.deepEqual(missing, [], "operations the client has no method for");
  });

  test("a wrong key is Unauthorized for every resource", async () => {
    const stranger = createApiClient({ baseUrl: p.url, apiKey: `hs_abcd1234_${"x".repeat(40)}` });
    const results: ApiResult<unknown>[] = [await stranger.functions.list(), await stranger.deployments.list(), await stranger.runners.list(), await stranger.invoke("inv", {})];
    for (const r of results) {
      const e = failure(r);
      assert.deepEqual([e.status, e.code], [401, "Unauthorized"]);
    }
    // /health needs no key.
    assert.equal(ok(await stranger.system.health()).status, "ok");
  });
});
