/**
 * Start a real control plane in this process for end-to-end tests, on either the embedded
 * adapters (PGlite, memory state, code directory) or the real servers (Postgres, Redis, S3),
 * listening on 127.0.0.1 on a free port, with a known admin key.
 */
import { after, before, describe, test } from "node:test";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { DestinationStream } from "pino";
import { createLogger } from "../../shared/logger.ts";
import { startServer, type RunningServer } from "../../platform/src/server.ts";
import { loadServerSettings } from "../../cli/server-settings.ts";
import { embeddedRunner } from "../../cli/embedded-runner.ts";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { createTransport, type Call } from "../../client/transport.ts";
import { TEST_REDIS_URL, createTestDatabase, serviceSkipReason, startS3Server, TEST_DATABASE_URL } from "./services.ts";

export type Mode = "embedded" | "servers";

export interface TestPlatform {
  url: string;
  key: string;
  server: RunningServer;
  /** The environment the server was configured from (its stores are loadConfig(env)'s); set by startPlatform. */
  env?: Record<string, string>;
  /** JSON request with the admin key. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

/**
 * A JSON-speaking client for the API at `url`, authenticated with `key` (unless the call passes its
 * own authorization header). Bodies: object → JSON, string or bytes as given. It rides on the API
 * client's transport (client/transport.ts), so tests send what the typed client sends; this only
 * keeps the loose (method, path, body) shape tests use to reach odd corners of the API.
 */
export function apiClient(url: string, key: string): TestPlatform["api"] {
  const keyed = createTransport({ baseUrl: url, apiKey: key, timeoutMs: 120_000 });
  const bare = createTransport({ baseUrl: url, timeoutMs: 120_000 });
  return async (method, path, body, given = {}) => {
    const headers = Object.fromEntries(Object.entries(given).map(([k, v]) => [k.toLowerCase(), v]));
    const contentType = headers["content-type"];
    delete headers["content-type"];
    let callBody: Call["body"];
    if (Buffer.isBuffer(body) || body instanceof Uint8Array || typeof body === "string") {
      // What fetch would have sent without a content type: text/plain for strings.
      callBody = { bytes: body, contentType: contentType ?? (typeof body === "string" ? "text/plain;charset=UTF-8" : "application/octet-stream") };
    } else if (body !== undefined) {
      callBody = contentType ? { bytes: JSON.stringify(body), contentType } : { json: body };
    }
    const transport = "authorization" in headers ? bare : keyed;
    const sent = await transport.send({ method: method as Call["method"], path, body: callBody }, { headers });
    if (!sent.ok) throw new Error(`${method} ${path}: ${sent.error.code}: ${sent.error.message}`);
    const { status, headers: resHeaders, json, text } = sent.answer;
    return { status, headers: resHeaders, json, text };
  };
}

/** Returns the skip reason when the servers mode cannot run (never under CI: that throws). */
export async function serversSkipReason(): Promise<string | undefined> {
  return (await serviceSkipReason("postgres", TEST_DATABASE_URL)) ?? (await serviceSkipReason("redis", TEST_REDIS_URL));
}

/** `log`: where the server's pino lines go (tests that read them); stdout when unset. */
export interface StartOptions {
  log?: DestinationStream;
}

export async function startPlatform(mode: Mode, env: Record<string, string> = {}, opts: StartOptions = {}): Promise<TestPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), `hs-e2e-${mode}-`));
  const { key } = generateApiKey();
  const cleanups: Array<() => Promise<void>> = [() => rm(dataDir, { recursive: true, force: true })];
  const base: Record<string, string> = {
    PORT: "0",
    HOST: "127.0.0.1",
    HOTSWAP_DATA_DIR: dataDir,
    HOTSWAP_ADMIN_KEY: key,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
  };
  if (mode === "servers") {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const s3 = await startS3Server();
    cleanups.push(() => s3.close());
    Object.assign(base, {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    });
  }
  // As `hotswap server --embedded-runner` composes it: the control plane hosting a runner node.
  const serverEnv = { ...base, ...env };
  const { control: config, runner } = loadServerSettings(serverEnv, { hostname: hostname() });
  const log = createLogger(config.logLevel, undefined, opts.log);
  const server = await startServer(config, log, embeddedRunner(runner, log));
  const url = server.url;
  return {
    url,
    key,
    server,
    env: serverEnv,
    api: apiClient(url, key),
    async close() {
      await server.close();
      for (const c of cleanups.reverse()) await c().catch(() => {});
    },
  };
}

/**
 * Run the same suite on the embedded adapters and on Postgres, Redis and S3.
 * `body` gets a getter for the platform started in `before` for that mode.
 */
export function forEachMode(
  title: string,
  body: (p: () => TestPlatform, mode: Mode) => void,
  env: Record<string, string> = {},
): void {
  for (const mode of ["embedded", "servers"] as const) {
    describe(`${title} [${mode}]`, () => {
      let platform: TestPlatform | undefined;
      let skip: string | undefined;
      before(async () => {
        if (mode === "servers") skip = await serversSkipReason();
        if (!skip) platform = await startPlatform(mode, env);
      });
      after(async () => {
        await platform?.close();
      });
      body(() => {
        if (skip) throw new SkipError(skip);
        return platform!;
      }, mode);
    });
  }
}

export class SkipError extends Error {}

/** `test` that turns a SkipError (service down outside CI) into a reported skip. */
export function it(name: string, fn: () => Promise<void>, opts: { timeout?: number } = {}): void {
  test(name, { timeout: opts.timeout ?? 60_000 }, async (t) => {
    try {
      await fn();
    } catch (e) {
      if (e instanceof SkipError) t.skip(e.message);
      else throw e;
    }
  });
}
