/**
 * End-to-end: /api/v1/triggers through the typed client on the embedded adapters and on Postgres,
 * Redis and S3: CRUD, defaults, every 400 (each config type, unsupported auth, a qualifier that
 * does not resolve, immutable fields), 404, the 409 route conflict, Queue and Stream triggers
 * accepted (201) where their broker is configured and refused (400) where it is not,
 * the audit trail, and a function's deletion taking its triggers along.
 */
import assert from "node:assert/strict";
import type { ApiResult } from "../../client/index.ts";
import { forEachMode, it } from "../support/platform.ts";
import { apiOf, deployFunction, expectOk, nodeCode } from "../support/deploy.ts";
import { createTrigger, deployEcho } from "./support.ts";

function failed<T>(r: ApiResult<T>) {
  if (r.ok) assert.fail(`expected an error, got HTTP ${r.status}: ${JSON.stringify(r.value)}`);
  return r.error;
}

forEachMode("triggers API", (p, mode) => {
  it("creates an Http trigger with defaults (qualifier $LATEST, auth key, 6 MB body limit), reads, lists, updates and deletes it", async () => {
    const api = apiOf(p());
    await deployEcho(p(), "crudfn");
    const created = await createTrigger(p(), { functionName: "crudfn", type: "Http", config: { methods: ["GET"], path: "/crud/{id}" } });
    assert.match(created.triggerId, /^[0-9a-f-]{36}$/);
    assert.equal(created.functionName, "crudfn");
    assert.equal(created.qualifier, "$LATEST");
    assert.equal(created.type, "Http");
    assert.equal(created.enabled, true);
    assert.deepEqual(created.config, { methods: ["GET"], path: "/crud/{id}", auth: "key", maxBodyBytes: 6 * 1024 * 1024 });
    assert.equal(created.executionCount, 0);
    assert.equal(created.failureCount, 0);
    assert.equal(created.lastExecutedAt, null);
    assert.equal(created.lastError, null);
    assert.deepEqual(expectOk(await api.triggers.get(created.triggerId), "get"), created);

    const sched = await createTrigger(p(), { functionName: "crudfn", type: "Scheduled", config: { schedule: "rate(5 minutes)", timezone: "Europe/Berlin", input: { job: "nightly" } }, enabled: false });
    assert.equal(sched.enabled, false);
    assert.deepEqual(sched.config, { schedule: "rate(5 minutes)", timezone: "Europe/Berlin", input: { job: "nightly" }, catchUp: false });

    const all = expectOk(await api.triggers.list({ functionName: "crudfn" }), "list").triggers;
    assert.deepEqual(all.map((t) => t.triggerId), [created.triggerId, sched.triggerId]);
    const http = expectOk(await api.triggers.list({ functionName: "crudfn", type: "Http" }), "list Http").triggers;
    assert.deepEqual(http.map((t) => t.triggerId), [created.triggerId]);

    const updated = expectOk(await api.triggers.update(created.triggerId, { enabled: false, config: { methods: ["GET", "PUT"], path: "/crud/{id}", auth: "none" } }), "update");
    assert.equal(updated.enabled, false);
    assert.deepEqual(updated.config.methods, ["GET", "PUT"]);
    assert.equal(updated.config.auth, "none");
    assert.ok(Date.parse(updated.updatedAt) >= Date.parse(created.updatedAt));

    expectOk(await api.triggers.delete(created.triggerId), "delete", 204);
    const gone = failed(await api.triggers.get(created.triggerId));
    assert.equal(gone.status, 404);
    assert.equal(gone.code, "TriggerNotFound");
    assert.equal(failed(await api.triggers.delete(created.triggerId)).code, "TriggerNotFound");
    assert.equal(failed(await api.triggers.get("not-a-uuid")).code, "TriggerNotFound");
  });

  it("answers 404 FunctionNotFound for a function that does not exist, and 400 naming a qualifier that does not resolve", async () => {
    const api = apiOf(p());
    const nofn = failed(await api.triggers.create({ functionName: "ghost", type: "Http", config: { methods: ["GET"], path: "/ghost" } }));
    assert.equal(nofn.status, 404);
    assert.equal(nofn.code, "FunctionNotFound");
    await deployFunction(p(), { name: "qualfn", code: nodeCode("exports.handler=async()=>1"), alias: { name: "live" } });
    const noAlias = failed(await api.triggers.create({ functionName: "qualfn", qualifier: "nope", type: "Http", config: { methods: ["GET"], path: "/q1" } }));
    assert.equal(noAlias.status, 400);
    assert.equal(noAlias.code, "InvalidQualifier");
    assert.match(noAlias.message, /Qualifier "nope": function "qualfn" has no alias "nope"/);
    const noVersion = failed(await api.triggers.create({ functionName: "qualfn", qualifier: "9", type: "Http", config: { methods: ["GET"], path: "/q2" } }));
    assert.equal(noVersion.status, 400);
    assert.match(noVersion.message, /Qualifier "9": function "qualfn" has no version 9/);
    for (const qualifier of ["live", "1", "$LATEST"]) {
      const t = await createTrigger(p(), { functionName: "qualfn", qualifier, type: "Http", config: { methods: ["GET"], path: `/q/${qualifier.replace("$", "")}` } });
      assert.equal(t.qualifier, qualifier);
    }
    const t = await createTrigger(p(), { functionName: "qualfn", type: "Scheduled", config: { schedule: "*/5 * * * *" } });
    const badUpdate = failed(await api.triggers.update(t.triggerId, { qualifier: "missing" }));
    assert.equal(badUpdate.code, "InvalidQualifier");
  });

  it("validates every config with precise 400 messages", async () => {
    const api = apiOf(p());
    await deployEcho(p(), "valfn");
    const cases: Array<[type: "Http" | "Scheduled" | "Queue" | "Stream", config: Record<string, unknown>, message: RegExp]> = [
      ["Http", { methods: [], path: "/a" }, /body field "config\.methods": must name at least one method, or \["ANY"\]/],
      ["Http", { methods: ["FETCH"], path: "/a" }, /config\.methods\.0/],
      ["Http", { methods: ["ANY", "GET"], path: "/a" }, /"ANY" already covers every method/],
      ["Http", { methods: ["GET", "GET"], path: "/a" }, /must not repeat a method/],
      ["Http", { methods: ["GET"], path: "orders" }, /body field "config\.path": must start with "\/"/],
      ["Http", { methods: ["GET"], path: "/a//b" }, /empty segment/],
      ["Http", { methods: ["GET"], path: "/a/" }, /must not end with "\/"/],
      ["Http", { methods: ["GET"], path: "/{proxy+}/x" }, /greedy parameter \{proxy\+\} before the last segment/],
      ["Http", { methods: ["GET"], path: "/a/{id}/b/{id}" }, /names parameter \{id\} twice/],
      ["Http", { methods: ["GET"], path: "/a{id}" }, /mixes text and a parameter/],
      ["Http", { methods: ["GET"], path: "/a", auth: "basic" }, /config\.auth/],
      ["Http", { methods: ["GET"], path: "/a", maxBodyBytes: 7 * 1024 * 1024 }, /config\.maxBodyBytes": must be at most 6291456/],
      ["Http", { methods: ["GET"], path: "/a", cors: { allowOrigins: ["*"], allowCredentials: true } }, /config\.cors\.allowOrigins": cannot be "\*" when allowCredentials is true/],
      ["Http", { methods: ["GET"], path: "/a", extra: 1 }, /config/],
      ["Scheduled", { schedule: "every day" }, /config\.schedule": "every day" is not a schedule/],
      ["Scheduled", { schedule: "rate(1 minutes)" }, /rate\(1 minute\)/],
      ["Scheduled", { schedule: "rate(5 weeks)" }, /unit minute\(s\), hour\(s\) or day\(s\)/],
      ["Scheduled", { schedule: "cron(0 12 * * ?)" }, /must have 6 fields \(minutes hours day-of-month month day-of-week year\), got 5/],
      ["Scheduled", { schedule: "61 * * * *" }, /config\.schedule": "61 \* \* \* \*" is not a valid cron expression: Invalid value for minute: 61/],
      ["Scheduled", { schedule: "rate(5 minutes)", timezone: "Mars/Olympus" }, /config\.timezone": timezone "Mars\/Olympus" is not an IANA time zone name/],
      ["Scheduled", { schedule: "rate(5 minutes)", catchUp: "yes" }, /config\.catchUp/],
      ["Queue", { source: "kafka", stream: "s" }, /config\.source/],
      ["Queue", { source: "rabbitmq" }, /config\.queue": is required for source "rabbitmq"/],
      ["Queue", { source: "redis", stream: "s", batchSize: 0 }, /config\.batchSize/],
      ["Queue", { source: "redis", stream: "s", deadLetter: { queue: "q" } }, /config\.deadLetter\.stream": is required/],
      ["Stream", { source: "redis" }, /config\.stream/],
      ["Stream", { source: "nats", stream: "s", startingPosition: "AT_TIMESTAMP" }, /startingPositionTimestamp": is required when startingPosition is AT_TIMESTAMP/],
      ["Stream", { source: "redis", stream: "s", maximumRecordAgeInSeconds: 59 }, /config\.maximumRecordAgeInSeconds": must be -1 \(no limit\) or from 60 to 604800 seconds/],
      ["Stream", { source: "redis", stream: "s", maximumRecordAgeInSeconds: 604_801 }, /config\.maximumRecordAgeInSeconds": must be -1 \(no limit\) or from 60 to 604800/],
      ["Stream", { source: "redis", stream: "s", maximumRecordAgeInSeconds: 0 }, /config\.maximumRecordAgeInSeconds/],
      ["Stream", { source: "redis", stream: "s", maximumRecordAgeInSeconds: 90.5 }, /config\.maximumRecordAgeInSeconds/],
    ];
    for (const [type, config, message] of cases) {
      const e = failed(await api.triggers.create({ functionName: "valfn", type, config }));
      assert.equal(e.status, 400, `${type} ${JSON.stringify(config)}: ${e.code} ${e.message}`);
      assert.equal(e.code, "ValidationError", `${type} ${JSON.stringify(config)}`);
      assert.match(e.message, message, `${type} ${JSON.stringify(config)}`);
    }
    for (const schedule of ["rate(1 minute)", "rate(2 hours)", "cron(0 12 * * ? *)", "cron(15 10 ? * MON-FRI *)", "0 */5 * * * *", "*/10 * * * *"]) {
      await createTrigger(p(), { functionName: "valfn", type: "Scheduled", config: { schedule } });
    }
    const badType = failed(await api.triggers.create({ functionName: "valfn", type: "Email" as never, config: {} }));
    assert.equal(badType.code, "ValidationError");
    assert.match(badType.message, /body field "type"/);
  });

  it("refuses auth jwt with 400 UnsupportedAuth on a server without JWT settings (never stored); a Stream trigger needs its broker configured", async () => {
    const api = apiOf(p());
    await deployEcho(p(), "latefn");
    const jwt = failed(await api.triggers.create({ functionName: "latefn", type: "Http", config: { methods: ["GET"], path: "/jwt", auth: "jwt" } }));
    assert.equal(jwt.status, 400);
    assert.equal(jwt.code, "UnsupportedAuth");
    assert.match(jwt.message, /"jwt" needs the server to accept JWTs: set HOTSWAP_JWT_SECRET/);
    // Neither mode sets HOTSWAP_NATS_URL.
    const nats = failed(await api.triggers.create({ functionName: "latefn", type: "Stream", config: { source: "nats", stream: "events", startingPosition: "TRIM_HORIZON" } }));
    assert.equal(nats.status, 400);
    assert.equal(nats.code, "EventSourceNotConfigured");
    assert.match(nats.message, /set HOTSWAP_NATS_URL on the control plane/);
    assert.deepEqual(expectOk(await api.triggers.list({ functionName: "latefn" }), "list").triggers, []);
    // Redis: the servers mode has REDIS_URL (Stream triggers read that Redis), the embedded mode none.
    const body = { functionName: "latefn", type: "Stream" as const, config: { source: "redis", stream: "events" }, enabled: false };
    if (mode === "embedded") {
      const redis = failed(await api.triggers.create(body));
      assert.equal(redis.code, "EventSourceNotConfigured");
      assert.match(redis.message, /set HOTSWAP_STREAM_REDIS_URL \(or REDIS_URL\)/);
    } else {
      const created = await createTrigger(p(), body);
      assert.deepEqual(created.config, {
        source: "redis",
        stream: "events",
        startingPosition: "LATEST",
        batchSize: 100,
        bisectBatchOnFunctionError: false,
        maximumRetryAttempts: -1,
        maximumRecordAgeInSeconds: -1,
        parallelizationFactor: 1,
      });
      expectOk(await api.triggers.delete(created.triggerId), "delete", 204);
    }
  });

  it("creates a Queue trigger (201, defaults filled in) when its broker is configured, else 400 EventSourceNotConfigured", async () => {
    const api = apiOf(p());
    await deployEcho(p(), "queuefn");
    const body = { functionName: "queuefn", type: "Queue" as const, config: { source: "redis", stream: `hstest-orders-${mode}`, batchSize: 10 }, enabled: false };
    if (mode === "embedded") {
      const refused = failed(await api.triggers.create(body));
      assert.equal(refused.status, 400);
      assert.equal(refused.code, "EventSourceNotConfigured");
      assert.match(refused.message, /set HOTSWAP_QUEUE_REDIS_URL \(or REDIS_URL\)/);
      return;
    }
    const created = await createTrigger(p(), body);
    assert.equal(created.type, "Queue");
    assert.deepEqual(created.config, { source: "redis", stream: `hstest-orders-${mode}`, batchSize: 10, maximumBatchingWindowInSeconds: 0, maxConcurrency: 2, maxReceiveCount: 3 });
    const rabbit = failed(await api.triggers.update(created.triggerId, { config: { source: "rabbitmq", queue: "orders" } }));
    assert.equal(rabbit.code, "EventSourceNotConfigured", "an update to an unconfigured source is refused too");
    expectOk(await api.triggers.delete(created.triggerId), "delete");
  });

  it("answers 409 RouteConflict with the conflicting trigger's id when two Http triggers claim a method and path", async () => {
    const api = apiOf(p());
    await deployEcho(p(), "conf1");
    await deployEcho(p(), "conf2");
    const first = await createTrigger(p(), { functionName: "conf1", type: "Http", config: { methods: ["GET", "POST"], path: "/conflict/{id}" } });
    const clash = failed(await api.triggers.create({ functionName: "conf2", type: "Http", config: { methods: ["POST"], path: "/conflict/{orderId}" } }));
    assert.equal(clash.status, 409);
    assert.equal(clash.code, "RouteConflict");
    assert.equal(clash.details?.conflictingTriggerId, first.triggerId);
    assert.match(clash.message, new RegExp(`POST /conflict/\\{orderId\\} is already routed by trigger ${first.triggerId}`));
    // Another method on the same path, or the same method on another shape, is fine.
    const other = await createTrigger(p(), { functionName: "conf2", type: "Http", config: { methods: ["DELETE"], path: "/conflict/{x}" } });
    await createTrigger(p(), { functionName: "conf2", type: "Http", config: { methods: ["GET"], path: "/conflict/{id}/items" } });
    const moved = failed(await api.triggers.update(other.triggerId, { config: { methods: ["DELETE", "GET"], path: "/conflict/{x}" } }));
    assert.equal(moved.code, "RouteConflict");
    expectOk(await api.triggers.update(first.triggerId, { config: { methods: ["GET", "POST"], path: "/conflict/{id}", auth: "none" } }), "a trigger never conflicts with itself");
  });

  it("keeps a trigger's function and type, and deletes a function's triggers with it", async () => {
    const api = apiOf(p());
    await deployEcho(p(), "keepfn");
    const t = await createTrigger(p(), { functionName: "keepfn", type: "Scheduled", config: { schedule: "rate(1 day)" } });
    const move = failed(await api.triggers.update(t.triggerId, { functionName: "otherfn" }));
    assert.match(move.message, /cannot move to another function/);
    const retype = failed(await api.triggers.update(t.triggerId, { type: "Http" }));
    assert.match(retype.message, /type cannot change \(it is Scheduled\)/);
    const badConfig = failed(await api.triggers.update(t.triggerId, { config: { schedule: "nope" } }));
    assert.match(badConfig.message, /Invalid Scheduled trigger config/);
    expectOk(await api.functions.delete("keepfn"), "delete function", 204);
    assert.equal(failed(await api.triggers.get(t.triggerId)).code, "TriggerNotFound");
    assert.deepEqual(expectOk(await api.triggers.list({ functionName: "keepfn" }), "list").triggers, []);
  });

  it("describes the triggers API in /openapi.json", async () => {
    const doc = (await p().api("GET", "/openapi.json")).json;
    assert.ok(doc.paths["/api/v1/triggers"].post);
    assert.ok(doc.paths["/api/v1/triggers"].get);
    assert.ok(doc.paths["/api/v1/triggers/{id}"].put);
    for (const s of ["Trigger", "TriggerList", "CreateTrigger", "UpdateTrigger", "HttpTriggerConfig", "HttpCors", "ScheduledTriggerConfig", "QueueTriggerConfig", "StreamTriggerConfig"]) {
      assert.ok(doc.components.schemas[s], `schema ${s}`);
    }
    assert.deepEqual(doc.components.schemas.HttpTriggerConfig.properties.auth.enum, ["none", "key", "jwt"]);
  });
});
