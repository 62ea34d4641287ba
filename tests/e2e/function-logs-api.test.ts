/**
 * The logs route (platform/src/api/logs) through the typed client, over real parts (PGlite, the in-process state store, the ingest, the live-tail
 * hub), lines appended to the stream as a runner appends them: pages, cursors, filters, precise
 * 400s, 404; and live tails over a real HTTP socket: backlog then live, Last-Event-ID resume, the
 * slow-client bound, and the end at shutdown.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { createRouter } from "../../platform/src/api/openapi.ts";
import { logsRoutes } from "../../platform/src/api/logs/index.ts";
import { apiErrorOf, errorBody } from "../../platform/src/api/envelope.ts";
import { openDatabase, createRepositories, type Database, type Repositories } from "../../platform/src/db/index.ts";
import { MemoryStateStore } from "../../shared/state/memory-state-store.ts";
import { FUNCTION_LOGS_STREAM, type FunctionLogRecord } from "../../protocol/function-logs.ts";
import { functionInput, uniqueName } from "../../platform/src/db/contract-support.ts";
import { startFunctionLogs, type FunctionLogs } from "../../platform/src/logs/index.ts";
import { functionNotFound } from "../../platform/src/functions/function-service.ts";
import { record } from "../../platform/src/logs/function-logs.contract.ts";
import { waitFor } from "../support/wait-for.ts";
import { createApiClient, type ApiClient } from "../../client/index.ts";
import type { LogTailEvent } from "../../client/logs.ts";

let database: Database;
let repos: Repositories;
let state: MemoryStateStore;
let logs: FunctionLogs;
let server: Server;
let url: string;
let api: ApiClient;

before(async () => {
  database = await openDatabase({ kind: "pglite", dir: "memory://" });
  repos = createRepositories(database.db);
  state = new MemoryStateStore();
  logs = await startFunctionLogs({
    state,
    repos,
    namespace: "hs:test:",
    replicaId: "replica-1",
    defaults: { retentionDays: 7, maxBytes: 100_000_000 },
    requireFunction: async (name) => {
      if (!(await repos.functions.get(name))) throw functionNotFound(name);
    },
    follower: { maxQueuedLines: 50, maxQueuedBytes: 256 * 1024, heartbeatMs: 200, endGraceMs: 5000 },
  });
  const app = createRouter();
  app.use("*", async (c, next) => {
    c.set("requestId", "test-request-1");
    await next();
  });
  app.route("/", logsRoutes(logs.service));
  app.onError((e, c) => {
    const err = apiErrorOf(e, "test-request-1", { error: () => {} }, { method: c.req.method, path: c.req.path });
    return c.body(errorBody(err), err.status as 400, { "content-type": "application/json" });
  });
  server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  api = createApiClient({ baseUrl: url });
});

after(async () => {
  await logs?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await state?.close();
  await database?.close();
});

/** As a runner ships a batch. */
function append(records: FunctionLogRecord[]): Promise<string> {
  return state.xadd(FUNCTION_LOGS_STREAM, { records: JSON.stringify(records) });
}

async function stored(fn: string, n: number): Promise<void> {
  await waitFor(`${n} lines of ${fn} stored`, async () => (await repos.functionLogs.page({ functionName: fn, limit: 10_000 })).length, { until: (c) => c >= n });
}

async function newFunction(): Promise<string> {
  const fn = uniqueName("logs");
  await repos.functions.create(functionInput(fn));
  return fn;
}

describe("GET /api/v1/functions/{name}/logs", () => {
  test("pages oldest first with an opaque cursor until nextCursor is null", async () => {
    const fn = await newFunction();
    const t0 = Date.UTC(2026, 2, 3, 4, 5, 6, 7);
    await append(Array.from({ length: 250 }, (_, i) => record(fn, { at: t0 + i, message: `line ${i}`, requestId: `r${i % 3}` })));
    await stored(fn, 250);
    const first = await api.logs.functionLogs(fn);
    assert.ok(first.ok);
    assert.equal(first.value.lines.length, 100, "default limit 100");
    assert.deepEqual(first.value.lines[0], { at: new Date(t0).toISOString(), functionName: fn, version: 1, requestId: "r0", instanceId: "i-1", stream: "stdout", message: "line 0" });
    assert.ok(first.value.nextCursor && !/^\d+$/.test(first.value.nextCursor), "an opaque cursor");
    const seen = [...first.value.lines];
    let cursor: string | null = first.value.nextCursor;
    while (cursor) {
      const page = await api.logs.functionLogs(fn, { cursor, limit: 1000 });
      assert.ok(page.ok);
      seen.push(...page.value.lines);
      cursor = page.value.nextCursor;
    }
    assert.deepEqual(seen.map((l) => l.message), Array.from({ length: 250 }, (_, i) => `line ${i}`));
    const exact = await api.logs.functionLogs(fn, { limit: 250 });
    assert.ok(exact.ok);
    assert.equal(exact.value.nextCursor, null, "a page that took the last line says there is no more");
  });

  test("filters by requestId, version, since and until (ISO-8601 or epoch ms)", async () => {
    const fn = await newFunction();
    const t0 = Date.UTC(2026, 2, 3);
    await append([
      record(fn, { at: t0, requestId: "a", version: 1, message: "1" }),
      record(fn, { at: t0 + 1000, requestId: "b", version: 2, message: "2" }),
      record(fn, { at: t0 + 2000, requestId: "a", version: 2, message: "3" }),
    ]);
    await stored(fn, 3);
    const msgs = async (q: Parameters<ApiClient["logs"]["functionLogs"]>[1]) => {
      const r = await api.logs.functionLogs(fn, q);
      assert.ok(r.ok, JSON.stringify(r));
      return r.value.lines.map((l) => l.message).join("");
    };
    assert.equal(await msgs({ requestId: "a" }), "13");
    assert.equal(await msgs({ version: 2 }), "23");
    assert.equal(await msgs({ since: t0 + 1000 }), "23");
    assert.equal(await msgs({ since: new Date(t0 + 1000).toISOString(), until: new Date(t0 + 2000) }), "2");
    assert.equal(await msgs({ requestId: "a", version: 2 }), "3");
  });

  test("answers precise 400s for bad parameters and 404 FunctionNotFound", async () => {
    const fn = await newFunction();
    const bad = async (query: string) => {
      const res = await fetch(`${url}/api/v1/functions/${fn}/logs?${query}`);
      assert.equal(res.status, 400, query);
      return ((await res.json()) as { error: { code: string; message: string } }).error;
    };
    assert.match((await bad("limit=0")).message, /query field "limit": must be a whole number from 1 to 1000/);
    assert.match((await bad("limit=1001")).message, /from 1 to 1000/);
    assert.match((await bad("limit=ten")).message, /query field "limit"/);
    assert.match((await bad("since=yesterday")).message, /query field "since": must be an ISO-8601 time .* or epoch milliseconds; got "yesterday"/);
    assert.match((await bad("until=2026-13-45T00:00:00Z")).message, /query field "until"/);
    assert.match((await bad("version=0")).message, /query field "version": must be a version number/);
    assert.match((await bad("cursor=123")).message, /query field "cursor": is not a cursor this API gave out/);
    assert.match((await bad("follow=yes")).message, /query field "follow": must be "true" or "false"/);
    assert.match((await bad("since=2000&until=1000")).message, /query field "until": must be later than since/);
    assert.match((await bad("follow=true&until=1000")).message, /cannot be combined with follow=true/);
    assert.equal((await bad("limit=0")).code, "ValidationError");
    const missing = await api.logs.functionLogs(uniqueName("nope"));
    assert.ok(!missing.ok);
    assert.equal(missing.error.status, 404);
    assert.equal(missing.error.code, "FunctionNotFound");
    await assert.rejects(drain(api.logs.follow(uniqueName("nope"))), /FunctionNotFound, HTTP 404/);
  });
});

/** Collects a tail's events until `stop` says enough (or the stream ends). */
async function drain(it: AsyncGenerator<LogTailEvent>, stop: (events: LogTailEvent[]) => boolean = () => false): Promise<LogTailEvent[]> {
  const events: LogTailEvent[] = [];
  for await (const e of it) {
    events.push(e);
    if (stop(events)) break;
  }
  return events;
}

const messages = (events: LogTailEvent[]) => events.flatMap((e) => (e.type === "log" ? [e.line.message] : []));

describe("GET /api/v1/functions/{name}/logs?follow=true", () => {
  test("sends the newest `limit` matching lines, then live lines matching the filters; Last-Event-ID resumes after the last one", async () => {
    const fn = await newFunction();
    await append(Array.from({ length: 5 }, (_, i) => record(fn, { message: `old ${i}`, requestId: "keep" })));
    await stored(fn, 5);
    const events: LogTailEvent[] = [];
    const tail = api.logs.follow(fn, { limit: 3, requestId: "keep" });
    const collecting = (async () => {
      for await (const e of tail) {
        events.push(e);
        if (messages(events).includes("live 2")) break;
      }
    })();
    await waitFor("the backlog", () => messages(events).length === 3);
    assert.deepEqual(messages(events), ["old 2", "old 3", "old 4"]);
    await append([record(fn, { message: "live 1", requestId: "keep" }), record(fn, { message: "other request", requestId: "skip" }), record(uniqueName("x"), { message: "other fn", requestId: "keep" })]);
    await append([record(fn, { message: "live 2", requestId: "keep" })]);
    await collecting;
    assert.deepEqual(messages(events), ["old 2", "old 3", "old 4", "live 1", "live 2"]);
    await waitFor("the follower gone from the hub", () => logs.live.size === 0);

    // Reconnect from the event after "old 3": everything after it, then live again.
    const resumeFrom = events.find((e) => e.type === "log" && e.line.message === "old 3") as Extract<LogTailEvent, { type: "log" }>;
    await append([record(fn, { message: "while away", requestId: "keep" })]);
    await stored(fn, 9);
    const again = await drain(api.logs.follow(fn, { requestId: "keep" }, { lastEventId: resumeFrom.id }), (e) => messages(e).length === 4);
    assert.deepEqual(messages(again), ["old 4", "live 1", "live 2", "while away"]);
  });

  test("sends heartbeat comments while idle", async () => {
    const fn = await newFunction();
    const res = await fetch(`${url}/api/v1/functions/${fn}/logs?follow=true`);
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes(": heartbeat")) text += (await reader.read()).value ?? "";
    await reader.cancel();
    assert.match(text, /^retry: 2000\n\n/);
  });

  /** A raw HTTP tail that reads its headers and then stops reading; `serverSide` is the server's end of it. */
  async function stalledTail(fn: string) {
    const serverSide = new Promise<Socket>((resolve) => server.once("connection", resolve));
    const socket = connect((server.address() as { port: number }).port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    socket.write(`GET /api/v1/functions/${fn}/logs?follow=true HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n`);
    const tail = { socket, serverSide: await serverSide, received: "" };
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (tail.received += d));
    await waitFor("the tail's headers", () => tail.received.includes("retry: 2000"));
    await waitFor("the follower registered", () => logs.live.size === 1);
    socket.pause(); // a client that stops reading
    return tail;
  }

  /** Far more than the socket buffers hold, until the follower's queue overflows its 256 KiB bound and it leaves the hub. */
  async function floodUntilDropped(fn: string): Promise<void> {
    const big = "x".repeat(15_000);
    for (let b = 0; b < 60 && logs.live.size > 0; b++) {
      await append(Array.from({ length: 20 }, (_, i) => record(fn, { message: `${b}:${i} ${big}` })));
      await stored(fn, (b + 1) * 20);
    }
    await waitFor("the slow follower dropped from the hub", () => logs.live.size === 0, { timeoutMs: 30_000 });
  }

  test("disconnects a client that stops reading, with a final slow-client event, instead of queueing without bound", async () => {
    const fn = await newFunction();
    const tail = await stalledTail(fn);
    await floodUntilDropped(fn);
    const closed = new Promise((r) => tail.socket.once("close", r));
    tail.socket.resume();
    await closed;
    assert.ok(tail.received.length > 1_000_000, "the client was sent lines before it fell behind");
    // The last chunk is the end event (then the chunked encoding's terminator).
    assert.match(tail.received.slice(-400), /event: end\ndata: \{"reason":"slow-client","message":"The client read too slowly[^\n]*\n\n\r\n(0\r\n\r\n)?$/);
  });

  test("cuts the connection of a slow client that does not read even its final event within the grace period", async () => {
    const fn = await newFunction();
    const tail = await stalledTail(fn);
    await floodUntilDropped(fn);
    const dropped = Date.now();
    await new Promise((r) => tail.serverSide.once("close", r));
    const waited = Date.now() - dropped;
    assert.ok(waited >= 4000 && waited < 15_000, `cut after ${waited} ms (grace 5000 ms)`);
    tail.socket.destroy();
  });
});

describe("live tail at shutdown", () => {
  test("closing the hub ends every tail with a final shutdown event", async () => {
    const fn = await newFunction();
    const events: LogTailEvent[] = [];
    const done = drain(api.logs.follow(fn), () => false).then((e) => events.push(...e));
    await waitFor("the follower registered", () => logs.live.size === 1);
    await logs.closeTails();
    await done;
    assert.deepEqual(events, [{ type: "end", end: { reason: "shutdown", message: "The control plane is shutting down. Reconnect with Last-Event-ID to resume on another replica." } }]);
  });
});
