/**
 * Real services for tests: Postgres, Redis, RabbitMQ, NATS (JetStream) and an S3-protocol server.
 * Each helper returns a connection (or a skip reason when the service is down and CI is not set).
 * Under CI=true a missing service is an error, never a skip: `scripts/test.ts` and `.ci/run` start them.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";

const env = process.env;
export const IS_CI = env.CI === "true" || env.CI === "1";

export const TEST_DATABASE_URL = env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const TEST_REDIS_URL = env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const TEST_AMQP_URL = env.TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
export const TEST_NATS_URL = env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

/** Each real service the tests use, with its URL and the command that starts it on these machines. */
export const TEST_SERVICES = {
  postgres: { url: TEST_DATABASE_URL, start: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start" },
  redis: { url: TEST_REDIS_URL, start: "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''" },
  rabbitmq: { url: TEST_AMQP_URL, start: "rabbitmq-server -detached" },
  nats: {
    url: TEST_NATS_URL,
    start: "start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server",
  },
} as const;
export type TestServiceName = keyof typeof TEST_SERVICES;

const DEFAULT_PORTS: Record<string, number> = { "postgres:": 5432, "postgresql:": 5432, "redis:": 6379, "amqp:": 5672, "nats:": 4222 };

/** Resolve when host:port accepts a TCP connection within timeoutMs. */
export function isReachable(url: string, timeoutMs = 1500): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || DEFAULT_PORTS[u.protocol] || 80);
  return new Promise((resolve) => {
    const sock = net.connect({ host: u.hostname, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

/**
 * Returns undefined when the service is usable, else the reason to skip.
 * Throws under CI so a missing service fails the run instead of skipping.
 */
export async function serviceSkipReason(name: TestServiceName, url: string = TEST_SERVICES[name].url): Promise<string | undefined> {
  if (await isReachable(url)) return undefined;
  const reason = `${name} is not reachable at ${url}; start it with: ${TEST_SERVICES[name].start}`;
  if (IS_CI) throw new Error(`CI=true and ${reason}`);
  return reason;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Create a fresh, uniquely named database on the test Postgres server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { default: postgres } = await import("postgres");
  const name = `hs_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** A key prefix unique to one test, so tests sharing a Redis server never see each other's keys. */
export function uniquePrefix(label = "t"): string {
  return `hstest:${label}:${randomBytes(5).toString("hex")}:`;
}

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  close(): Promise<void>;
}

/**
 * An S3-protocol server for tests. Uses TEST_S3_ENDPOINT when set (with TEST_S3_BUCKET), else starts
 * s3rver on 127.0.0.1 on a free port with a temporary directory. `own: true` always starts a
 * private server (for tests that stop it).
 */
export async function startS3Server(
  bucket = `hs-test-${randomBytes(4).toString("hex")}`,
  opts: { own?: boolean; port?: number } = {},
): Promise<S3TestServer> {
  const creds = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER", region: "us-east-1" };
  if (env.TEST_S3_ENDPOINT && !opts.own) {
    const { S3Client, CreateBucketCommand } = await import("@aws-sdk/client-s3");
    const client = new S3Client({
      endpoint: env.TEST_S3_ENDPOINT,
      region: creds.region,
      forcePathStyle: true,
      credentials: { accessKeyId: env.TEST_S3_ACCESS_KEY_ID ?? "S3RVER", secretAccessKey: env.TEST_S3_SECRET_ACCESS_KEY ?? "S3RVER" },
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: { name?: string }) => {
      if (e.name !== "BucketAlreadyOwnedByYou" && e.name !== "BucketAlreadyExists") throw e;
    });
    client.destroy();
    return {
      endpoint: env.TEST_S3_ENDPOINT,
      bucket,
      accessKeyId: env.TEST_S3_ACCESS_KEY_ID ?? "S3RVER",
      secretAccessKey: env.TEST_S3_SECRET_ACCESS_KEY ?? "S3RVER",
      region: creds.region,
      close: async () => {},
    };
  }
  const { default: S3rver } = await import("s3rver");
  const directory = await mkdtemp(join(tmpdir(), "hs-s3-"));
  const server = new S3rver({ address: "127.0.0.1", port: opts.port ?? 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const addr = (await server.run()) as { address: string; port: number };
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    bucket,
    ...creds,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** What a test control plane that shares the real servers with others needs to know. */
export interface SharedServersEnvOptions {
  dataDir: string;
  adminKey: string;
  databaseUrl: string;
  /** Scopes its Redis keys (several test clusters share one Redis). */
  redisPrefix?: string;
  s3?: S3TestServer;
}

/**
 * The environment of a control plane on the real servers (Postgres, Redis, and S3 when given),
 * listening on a free loopback port: one place for what every multi-replica test sets.
 */
export function sharedServersEnv(o: SharedServersEnvOptions): Record<string, string> {
  return {
    PORT: "0",
    HOST: "127.0.0.1",
    HOTSWAP_DATA_DIR: o.dataDir,
    HOTSWAP_ADMIN_KEY: o.adminKey,
    HOTSWAP_SECRET_KEY: "k".repeat(40),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    ...(o.redisPrefix !== undefined ? { HOTSWAP_REDIS_PREFIX: o.redisPrefix } : {}),
    ...(o.s3
      ? { S3_ENDPOINT: o.s3.endpoint, S3_BUCKET: o.s3.bucket, S3_ACCESS_KEY_ID: o.s3.accessKeyId, S3_SECRET_ACCESS_KEY: o.s3.secretAccessKey }
      : {}),
  };
}
