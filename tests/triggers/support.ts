/**
 * Helpers of the trigger tests: functions whose handlers answer from the API Gateway event, a
 * trigger created through the typed client, and raw HTTP requests to a route (node:http, so
 * repeated headers, cookies and bodies are sent exactly as written).
 */
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { loadServerSettings } from "../../cli/server-settings.ts";
import { embeddedRunner } from "../../cli/embedded-runner.ts";
import { startServer, type RunningServer } from "../../platform/src/server.ts";
import { createLogger } from "../../shared/logger.ts";
import { createTestDatabase, startS3Server, sharedServersEnv, uniquePrefix } from "../support/services.ts";
import { apiOf, deployFunction, expectOk, nodeCode, type ApiTarget } from "../support/deploy.ts";
import type { CreateTriggerInput, TriggerView } from "../../protocol/api/triggers.ts";

/** A function that answers `{ statusCode: 200, body: JSON.stringify(event) }`, or what `event.body` asks for when it is JSON with `reply`. */
export const ECHO_SOURCE = `
exports.handler = async (event) => {
  let asked;
  try { asked = event.body && !event.isBase64Encoded ? JSON.parse(event.body).reply : undefined; } catch {}
  if (asked !== undefined) {
    if (asked === "throw") throw new Error("asked to fail");
    return asked;
  }
  return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(event) };
};`;

export async function deployEcho(target: ApiTarget, name: string): Promise<void> {
  await deployFunction(target, { name, code: nodeCode(ECHO_SOURCE) });
}

export async function createTrigger(target: ApiTarget, body: CreateTriggerInput): Promise<TriggerView> {
  return expectOk(await apiOf(target).triggers.create(body), `creating trigger ${JSON.stringify(body)}`, 201);
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json: any;
}

/** One HTTP request, path and headers as given (an array value repeats the header). */
export function send(url: string, opts: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    // The path goes out exactly as written: new URL() would resolve "%2e%2e" and "..".
    const m = /^http:\/\/([^/:]+):(\d+)(\/.*)?$/.exec(url);
    if (!m) throw new Error(`send() takes http://host:port/path, got ${url}`);
    const req = request({ hostname: m[1], port: Number(m[2]), path: m[3] ?? "/", method: opts.method ?? "GET", headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        const text = body.toString("utf8");
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, body, text, json });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Answers the records it got (after DELAY_MS of its environment); throws on a record whose data is "poison". */
export const STREAM_HANDLER = `
exports.handler = async (event) => {
  const items = event.Records.map((r) => ({
    seq: r.kinesis.sequenceNumber,
    key: r.kinesis.partitionKey,
    data: Buffer.from(r.kinesis.data, "base64").toString("utf8"),
    eventID: r.eventID,
    eventSource: r.eventSource,
    eventName: r.eventName,
  }));
  const poison = items.find((i) => i.data === "poison");
  if (poison) throw new Error("poison record " + poison.seq);
  await new Promise((r) => setTimeout(r, Number(process.env.DELAY_MS || 0)));
  return { items };
};`;

/** One record as STREAM_HANDLER reports it. */
export interface StreamItem {
  seq: string;
  key: string;
  data: string;
  eventID: string;
  eventSource: string;
  eventName: string;
}

/** The records STREAM_HANDLER answered for trigger `triggerId` (its Succeeded invocations), oldest first. */
export async function streamItems(target: ApiTarget, functionName: string, triggerId: string): Promise<StreamItem[]> {
  const items: StreamItem[] = [];
  let cursor: string | undefined;
  do {
    const page = expectOk(await apiOf(target).async.list(functionName, { source: triggerId, status: "Succeeded", limit: 100, cursor }), "invocations");
    for (const r of page.invocations) items.unshift(...(JSON.parse(r.result!) as { items: StreamItem[] }).items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

export interface Replica {
  url: string;
  key: string;
  server: RunningServer;
}

/**
 * `count` control planes (each with its embedded runner) sharing a fresh Postgres database, Redis
 * (under a key prefix of their own) and an S3 server, started one after the other, so the first
 * one takes the leader leases. `cleanups` get what to undo, in the order to undo it (reversed).
 */
export async function startReplicas(count: number, adminKey: string, label: string, cleanups: Array<() => Promise<unknown>>): Promise<{ replicas: Replica[]; databaseUrl: string }> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const s3 = await startS3Server();
  cleanups.push(() => s3.close());
  const prefix = uniquePrefix(label);
  const replicas: Replica[] = [];
  for (let i = 0; i < count; i++) {
    const dataDir = await mkdtemp(join(tmpdir(), `hs-${label}-${i}-`));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const { control, runner } = loadServerSettings(sharedServersEnv({ dataDir, adminKey, databaseUrl: db.url, redisPrefix: prefix, s3 }), { hostname: hostname() });
    const log = createLogger(control.logLevel);
    const server = await startServer(control, log, embeddedRunner(runner, log));
    cleanups.push(() => server.close()); // also when a later one fails to start (close is idempotent)
    replicas.push({ url: server.url, key: adminKey, server });
  }
  return { replicas, databaseUrl: db.url };
}
