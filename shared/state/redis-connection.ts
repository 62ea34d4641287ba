/**
 * Redis connection policy for the state adapter: options that make an unreachable server surface as
 * a rejected promise within seconds instead of queueing commands forever, error messages that name
 * the server without its credentials, and an orderly close that never waits on a dead socket.
 */
import { Redis, type RedisOptions } from "ioredis";

/** How long ping() waits for PONG before rejecting. */
export const PING_TIMEOUT_MS = 2000;

/** A command waiting for a connection fails after this many reconnect attempts (ioredis maxRetriesPerRequest). */
export const MAX_RECONNECTS_PER_COMMAND = 2;

/** "Redis at host:port", safe to log: no user name, no password, no path. */
export function describeRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Do not echo the string: it may hold a password.
    throw new Error("Redis URL is not a valid URL (expected redis://[user:password@]host:port[/db])");
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new Error(`Redis URL must start with redis:// or rediss://, got ${u.protocol}//`);
  }
  return `Redis at ${u.hostname}:${u.port || "6379"}`;
}

/**
 * Options for the command and subscriber connections. A failed connect is retried quickly and a
 * queued command gives up after a few reconnect attempts, so callers see errors instead of hangs.
 * RESP2 keeps reply shapes (Lua nil, stream replies) the same as every Redis client documents them.
 */
export function commandConnectionOptions(): RedisOptions {
  return {
    protocol: 2,
    connectTimeout: 2000,
    maxRetriesPerRequest: MAX_RECONNECTS_PER_COMMAND,
    // ioredis fails queued commands every (maxRetriesPerRequest + 1) reconnect attempts; at most
    // 500 ms apart, a command against a dead server therefore fails within about 1.5 s.
    retryStrategy: (times) => Math.min(times * 100, 500),
    commandTimeout: 10_000,
    connectionName: "hotswap-state",
    disableClientInfo: true,
  };
}

/**
 * Options for connections that run blocking XREADGROUP: no commandTimeout (it would cut the block
 * short); instead a client-side guard of BLOCK + grace catches connections that died silently.
 */
export function blockingConnectionOptions(): RedisOptions {
  return {
    ...commandConnectionOptions(),
    commandTimeout: undefined,
    blockingTimeout: 30_000,
    blockingTimeoutGrace: 2000,
    connectionName: "hotswap-state-blocking",
  };
}

/** Reject with `message` when `promise` has not settled within ms. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** QUIT when connected (lets in-flight replies arrive), else drop the socket and stop reconnecting. */
export async function closeConnection(conn: Redis): Promise<void> {
  if (conn.status === "end") return;
  if (conn.status !== "ready") {
    conn.disconnect();
    return;
  }
  try {
    await withTimeout(conn.quit(), 1000, "QUIT timed out");
  } catch {
    conn.disconnect();
  }
}
