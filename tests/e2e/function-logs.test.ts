/**
 * End-to-end: function logs through real control planes. Two replicas share Postgres and Redis;
 * batches appended to the state-store stream (as runners append them) are stored once, read
 * through either replica's API, and followed live on the replica that did not store them; a
 * replica that shuts down ends its tails with a final event. A function's log settings are
 * validated and shown, and deleting it deletes its lines. `LogType: Tail` on both invoke paths,
 * through the AWS SDK's LogResult, with a runner that returns a log tail.
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { createApiClient, type ApiClient } from "../../client/index.ts";
import type { LogTailEvent } from "../../client/logs.ts";
import { FUNCTION_LOGS_LIVE_CHANNEL, FUNCTION_LOGS_STREAM, type FunctionLogRecord } from "../../protocol/function-logs.ts";
import { logCursor } from "../../protocol/api/logs.ts";
import { encodeLiveRows } from "../../platform/src/logs/live-rows.ts";
import { linesOf, toLogLine } from "../../platform/src/logs/log-lines.ts";
import { createStateStore, type StateStore } from "../../shared/state/index.ts";
import { createLogger } from "../../shared/logger.ts";
import { startServer, type RunningServer } from "../../platform/src/server.ts";
import { loadServerSettings } from "../../cli/server-settings.ts";
import { embeddedRunner } from "../../cli/embedded-runner.ts";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import type { InProcessRunnerNode } from "../../protocol/runner.ts";
import { it, serversSkipReason, SkipError, startPlatform, type TestPlatform } from "../support/platform.ts";
import { createTestDatabase, TEST_REDIS_URL, uniquePrefix, type TestDatabase } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";
import { zipFixture } from "../support/zip.ts";

function line(functionName: string, message: string, over: Partial<FunctionLogRecord> = {}): FunctionLogRecord {
  return { functionName, version: 1, requestId: "req-e2e-1", instanceId: "inst-1", at: Date.now(), stream: "stdout", message, ...over };
}

describe("function logs across two control-plane replicas (shared Postgres and Redis)", () => {
  let skip: string | undefined;
  let db: TestDatabase | undefined;
  let redis: StateStore | undefined;
  const replicas: TestPlatform[] = [];
  const apis: ApiClient[] = [];
  before(async () => {
    skip = await serversSkipReason();
    if (skip) return;
    db = await createTestDatabase();
    const prefix = uniquePrefix("logs-e2e");
    const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, HOTSWAP_REDIS_PREFIX: prefix, HOTSWAP_SECRET_KEY: "s".repeat(40) };
    for (let i = 0; i < 2; i++) replicas.push(await startPlatform("embedded", env));
    for (const p of replicas) apis.push(createApiClient({ baseUrl: p.url, apiKey: p.key }));
    redis = await createStateStore({ kind: "redis", url: TEST_REDIS_URL, keyPrefix: prefix });
  });
  after(async () => {
    for (const p of replicas) await p.close().catch(() => {});
    await redis?.close();
    await db?.drop();
  });
  const ready = () => {
    if (skip) throw new SkipError(skip);
  };
  const append = (records: FunctionLogRecord[]) => redis!.xadd(FUNCTION_LOGS_STREAM, { records: JSON.stringify(records) }, { maxLen: 10_000 });

  it("a function's log settings are validated with precise messages, default to null, and can be set and reset", async () => {
    ready();
    const api = apis[0]!;
    const bad = await api.functions.create({ name: "logset-bad", runtime: "nodejs20", handler: "index.handler", logRetentionDays: 0 });
    assert.ok(!bad.ok);
    assert.equal(bad.error.status, 400);
    assert.match(bad.error.message, /body field "logRetentionDays": must be a whole number of days from 1 to 3650, or null for the platform default/);
    const big = await api.functions.create({ name: "logset-bad", runtime: "nodejs20", handler: "index.handler", logMaxBytes: 1000 });
    assert.ok(!big.ok);
    assert.match(big.error.message, /body field "logMaxBytes": must be a whole number of bytes from 65536 \(64 KiB\) to 1099511627776 \(1 TiB\)/);
    const created = await api.functions.create({ name: "logset", runtime: "nodejs20", handler: "index.handler" });
    assert.ok(created.ok);
    assert.equal(created.value.logRetentionDays, null);
    assert.equal(created.value.logMaxBytes, null);
    const set = await api.functions.update("logset", { logRetentionDays: 30, logMaxBytes: 1_048_576 });
    assert.ok(set.ok);
    const got = await apis[1]!.functions.get("logset");
    assert.ok(got.ok);
    assert.deepEqual([got.value.logRetentionDays, got.value.logMaxBytes], [30, 1_048_576]);
    const reset = await api.functions.update("logset", { logRetentionDays: null });
    assert.ok(reset.ok);
    assert.deepEqual([reset.value.logRetentionDays, reset.value.logMaxBytes], [null, 1_048_576]);
    const frac = await api.functions.update("logset", { logRetentionDays: 1.5 });
    assert.ok(!frac.ok);
    assert.match(frac.error.message, /logRetentionDays/);
  });

  it("stores each appended batch once, serves it from either replica, and a follower sees every line whichever replica stored it", async () => {
    ready();
    const fn = "logs-e2e";
    assert.ok((await apis[0]!.functions.create({ name: fn, runtime: "nodejs20", handler: "index.handler" })).ok);
    await append([line(fn, "before 1"), line(fn, "before 2")]);
    await waitFor("the backlog stored", async () => {
      const page = await apis[1]!.logs.functionLogs(fn);
      return page.ok && page.value.lines.length === 2;
    });
    const events: LogTailEvent[] = [];
    const tail = (async () => {
      for await (const e of apis[1]!.logs.follow(fn, { limit: 10 })) {
        events.push(e);
        if (e.type === "end" || events.filter((x) => x.type === "log").length === 2 + 40 + 1) break;
      }
    })();
    await waitFor("the backlog on the follower", () => events.length >= 2);
    for (let i = 0; i < 20; i++) await append([line(fn, `live ${i}a`), line(fn, `live ${i}b`, { requestId: `req-${i}` })]);
    await waitFor("the live lines on the follower", () => events.length >= 42);
    // What any other replica's ingest publishes reaches this replica's follower through Redis pub/sub.
    const elsewhere = { id: 9_000_000_000, functionName: fn, version: 1, requestId: null, instanceId: "inst-9", at: new Date(), stream: "stdout" as const, message: "stored by another replica" };
    await redis!.publish(FUNCTION_LOGS_LIVE_CHANNEL, encodeLiveRows([elsewhere])[0]!);
    await tail;
    assert.deepEqual(events.at(-1), { type: "log", id: logCursor(9_000_000_000), line: toLogLine(linesOf(elsewhere)[0]!) });
    events.pop();
    const got = events.flatMap((e) => (e.type === "log" ? [e.line.message] : []));
    assert.deepEqual(got.slice(0, 2), ["before 1", "before 2"], "the backlog first");
    // Live lines come as each replica stores its batches, so two replicas may interleave them; each comes once.
    const live = Array.from({ length: 20 }, (_, i) => [`live ${i}a`, `live ${i}b`]).flat();
    assert.deepEqual([...got.slice(2)].sort(), [...live].sort());
    for (let i = 0; i < 20; i++) assert.equal(got.indexOf(`live ${i}b`), got.indexOf(`live ${i}a`) + 1, "a batch's lines stay together and in order");
    // Whichever replica stored them, each line is stored once and both replicas agree.
    const pages = await Promise.all(apis.map((a) => a.logs.functionLogs(fn, { limit: 1000 })));
    for (const p of pages) {
      assert.ok(p.ok);
      assert.equal(p.value.lines.length, 42);
    }
    const byRequest = await apis[0]!.logs.functionLogs(fn, { requestId: "req-7" });
    assert.ok(byRequest.ok);
    assert.deepEqual(byRequest.value.lines.map((l) => l.message), ["live 7b"]);
  });

  it("deleting a function deletes its lines: a new function of the same name starts with none", async () => {
    ready();
    const fn = "logs-e2e-del";
    assert.ok((await apis[0]!.functions.create({ name: fn, runtime: "nodejs20", handler: "index.handler" })).ok);
    await append([line(fn, "to be deleted")]);
    await waitFor("the line stored", async () => {
      const p = await apis[0]!.logs.functionLogs(fn);
      return p.ok && p.value.lines.length === 1;
    });
    assert.ok((await apis[1]!.functions.delete(fn)).ok);
    const gone = await apis[0]!.logs.functionLogs(fn);
    assert.ok(!gone.ok);
    assert.equal(gone.error.code, "FunctionNotFound");
    assert.ok((await apis[0]!.functions.create({ name: fn, runtime: "nodejs20", handler: "index.handler" })).ok);
    const fresh = await apis[0]!.logs.functionLogs(fn);
    assert.ok(fresh.ok);
    assert.deepEqual(fresh.value.lines, []);
  });

  it("a replica shutting down ends its live tails with a final shutdown event, promptly", async () => {
    ready();
    const fn = "logs-e2e";
    const events: LogTailEvent[] = [];
    const tail = (async () => {
      for await (const e of apis[1]!.logs.follow(fn, { limit: 1 })) events.push(e);
    })();
    await waitFor("the tail's backlog", () => events.length === 1);
    const t = Date.now();
    await replicas[1]!.server.close();
    await tail;
    assert.ok(Date.now() - t < 10_000, `close took ${Date.now() - t} ms`);
    assert.deepEqual(events.at(-1), {
      type: "end",
      end: { reason: "shutdown", message: "The control plane is shutting down. Reconnect with Last-Event-ID to resume on another replica." },
    });
    // The other replica still stores and serves lines.
    await append([line(fn, "after the shutdown")]);
    await waitFor("stored by the survivor", async () => {
      const p = await apis[0]!.logs.functionLogs(fn, { limit: 1000 });
      return p.ok && p.value.lines.some((l) => l.message === "after the shutdown");
    });
  });
});

/** The embedded runner, answering a fixed log tail whenever an invocation asks for one. */
function withLogTail(node: InProcessRunnerNode, tail: string): InProcessRunnerNode {
  return new Proxy(node, {
    get(target, prop) {
      if (prop === "invoke") {
        return async (req: Parameters<InProcessRunnerNode["invoke"]>[0]) => {
          const outcome = await target.invoke(req);
          return req.logTail ? { ...outcome, logTail: tail } : outcome;
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe("LogType: Tail on both invoke paths", () => {
  // 6,000 bytes of two-byte characters and a last line: the answer keeps only the last 4 KB, cut at a character.
  const TAIL = "é".repeat(3000) + "\nEND RequestId: x\n";
  let server: RunningServer;
  let key: string;
  let dataDir: string;
  let api: ApiClient;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "hs-logtail-"));
    key = generateApiKey().key;
    const env = { PORT: "0", HOST: "127.0.0.1", HOTSWAP_DATA_DIR: dataDir, HOTSWAP_ADMIN_KEY: key, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" };
    const { control, runner } = loadServerSettings(env, { hostname: hostname() });
    const log = createLogger(control.logLevel);
    const base = embeddedRunner(runner, log);
    if (base.runners !== "embedded") throw new Error("expected an embedded runner");
    server = await startServer(control, log, { runners: "embedded", start: async (deps) => withLogTail(await base.start(deps), TAIL) });
    api = createApiClient({ baseUrl: server.url, apiKey: key });
    assert.ok((await api.functions.create({ name: "tail", runtime: "nodejs20", handler: "index.handler" })).ok);
    assert.ok((await api.versions.publish("tail", zipFixture("node-cjs"))).ok);
  });
  after(async () => {
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const expected = () => {
    const bytes = Buffer.from(TAIL);
    let start = bytes.length - 4096;
    while ((bytes[start]! & 0xc0) === 0x80) start++;
    return bytes.subarray(start).toString();
  };

  it("the AWS SDK's LogResult carries the last 4 KB of the invocation's log, base64, only when asked", async () => {
    const [, id, secret] = /^hs_([a-z0-9]+)_(.+)$/.exec(key)!;
    const lambda = new LambdaClient({ endpoint: server.url, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: `hs_${id}`, secretAccessKey: secret! } });
    try {
      const out = await lambda.send(new InvokeCommand({ FunctionName: "tail", LogType: "Tail", Payload: JSON.stringify({ a: 1 }) }));
      assert.equal(out.StatusCode, 200);
      assert.ok(out.LogResult, "LogResult is set");
      const text = Buffer.from(out.LogResult, "base64").toString("utf8");
      assert.equal(text, expected());
      assert.ok(Buffer.byteLength(text) <= 4096 && Buffer.byteLength(text) >= 4095);
      assert.ok(text.endsWith("END RequestId: x\n"));
      const none = await lambda.send(new InvokeCommand({ FunctionName: "tail", LogType: "None", Payload: "{}" }));
      assert.equal(none.LogResult, undefined);
      const plain = await lambda.send(new InvokeCommand({ FunctionName: "tail", Payload: "{}" }));
      assert.equal(plain.LogResult, undefined);
    } finally {
      lambda.destroy();
    }
  });

  it("answers 400 InvalidParameterValueException for a LogType other than Tail or None on the Lambda path", async () => {
    const res = await fetch(`${server.url}/2015-03-31/functions/tail/invocations`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "x-amz-log-type": "Full", "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("x-amzn-errortype"), "InvalidParameterValueException");
    assert.match(((await res.json()) as { message: string }).message, /X-Amz-Log-Type "Full" is not valid; use Tail .* or None/);
  });

  it("the HotSwap path answers x-hotswap-log-result with x-hotswap-log-type: Tail, and 400 for another value", async () => {
    const r = await api.invoke("tail", { b: 2 }, { logType: "Tail" });
    assert.ok(r.ok);
    assert.equal(r.value.logResult, expected());
    const plain = await api.invoke("tail", {});
    assert.ok(plain.ok);
    assert.equal(plain.value.logResult, undefined);
    assert.equal(plain.value.headers.get("x-hotswap-log-result"), null);
    const bad = await api.invoke("tail", {}, { logType: "tail" as "Tail" });
    assert.ok(!bad.ok);
    assert.equal(bad.error.status, 400);
    assert.match(bad.error.message, /x-hotswap-log-type "tail" is not valid; use Tail/);
  });
});
