/**
 * A Stream trigger's Redis Streams source. Entry shape: the field `data` is the record's data
 * (bytes, base64-encoded into the event; an entry without `data` sends its fields as a JSON
 * object), `partitionKey` its partition key (absent: the stream's name, so such records are all
 * processed in order). The sequence number is the entry id, its arrival time the id's milliseconds.
 *
 * The checkpoint lives in the same Redis, in
 * `hotswap:stream-trigger:<cluster>:<triggerId>:<stream>:checkpoint` (the id of the last processed
 * entry; the cluster's id keeps installations that share a Redis apart), written by a script that never moves it backwards; reads
 * are XREAD (BLOCK) after it. On-failure records are added to the `onFailure.stream` as the field
 * `body` (JSON), as the async destinations do.
 */
import { Redis } from "ioredis";
import type { StreamTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { blockingConnectionOptions, closeConnection, commandConnectionOptions } from "../../../../shared/state/redis-connection.ts";
import { streamArn, type StreamFailureRecord, type StreamRecord } from "./kinesis-event.ts";
import type { StreamSource } from "./stream-source.ts";

/** Store ARGV[1] (an entry id) unless the stored id is as far or further. */
const ADVANCE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local cm, cs = string.match(cur, '^(%d+)-(%d+)$')
  local nm, ns = string.match(ARGV[1], '^(%d+)-(%d+)$')
  if cm and nm and (tonumber(cm) > tonumber(nm) or (tonumber(cm) == tonumber(nm) and tonumber(cs) >= tonumber(ns))) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

const MAX_SEQ = "18446744073709551615";

export function redisCheckpointKey(cluster: string, triggerId: string, stream: string): string {
  return `hotswap:stream-trigger:${cluster}:${triggerId}:${stream}:checkpoint`;
}

/** Every Stream trigger checkpoint of `cluster` stored in the Redis at `url`: its trigger id and stream. */
export async function listRedisCheckpoints(url: string, cluster: string): Promise<Array<{ triggerId: string; stream: string }>> {
  const head = `hotswap:stream-trigger:${cluster}:`;
  const conn = new Redis(url, { ...commandConnectionOptions(), connectionName: "hotswap-stream-trigger", lazyConnect: true });
  conn.on("error", () => undefined); // surfaced by the failing command
  const out: Array<{ triggerId: string; stream: string }> = [];
  try {
    await conn.connect();
    for await (const keys of conn.scanStream({ match: `${globEscape(head)}*:checkpoint`, count: 500 }) as AsyncIterable<string[]>) {
      for (const k of keys) {
        // <head><trigger id, no colon>:<stream, may have colons>:checkpoint
        const m = /^([^:]+):(.+):checkpoint$/.exec(k.slice(head.length));
        if (k.startsWith(head) && m) out.push({ triggerId: m[1]!, stream: m[2]! });
      }
    }
  } finally {
    await closeConnection(conn);
  }
  return out;
}

export class RedisStreamSource implements StreamSource {
  readonly eventSource = "hotswap:redis";
  readonly eventSourceArn: string;
  readonly shardId: string;
  private conn: Redis | undefined;
  /** The id reads continue after. */
  private cursor = "0-0";
  private readonly key: string;

  constructor(
    private readonly url: string,
    cluster: string,
    private readonly triggerId: string,
    private readonly config: StreamTriggerConfig,
  ) {
    this.eventSourceArn = streamArn("redis", config.stream);
    this.shardId = config.stream;
    this.key = redisCheckpointKey(cluster, triggerId, config.stream);
  }

  async open(): Promise<void> {
    this.conn = new Redis(this.url, { ...blockingConnectionOptions(), connectionName: "hotswap-stream-trigger", lazyConnect: true });
    this.conn.on("error", () => undefined); // surfaced by the failing command; ioredis reconnects
    await this.conn.connect();
    const stored = await this.conn.get(this.key);
    if (stored !== null) {
      this.cursor = stored;
      return;
    }
    const c = this.config;
    if (c.startingPosition === "TRIM_HORIZON") this.cursor = "0-0";
    else if (c.startingPosition === "AT_TIMESTAMP") {
      const ms = Date.parse(c.startingPositionTimestamp!);
      this.cursor = ms > 0 ? `${ms - 1}-${MAX_SEQ}` : "0-0";
    } else {
      // LATEST: pin the current end, unless another start pinned one first.
      const last = (await this.conn.xrevrange(c.stream, "+", "-", "COUNT", 1))[0]?.[0] ?? "0-0";
      await this.conn.set(this.key, last, "NX");
      this.cursor = (await this.conn.get(this.key)) ?? last;
    }
  }

  async read(max: number, waitMs: number): Promise<StreamRecord[]> {
    const reply = (await this.connection().callBuffer("xread", "COUNT", max, "BLOCK", Math.max(1, waitMs), "STREAMS", this.config.stream, this.cursor)) as
      | Array<[Buffer, Array<[Buffer, Buffer[]]>]>
      | null;
    const entries = reply?.[0]?.[1] ?? [];
    const records = entries.map(([id, fields]) => toRecord(id.toString(), fields, this.config.stream));
    if (records.length > 0) this.cursor = records[records.length - 1]!.sequenceNumber;
    return records;
  }

  async checkpoint(sequenceNumber: string): Promise<void> {
    await this.connection().eval(ADVANCE, 1, this.key, sequenceNumber);
  }

  async sendFailure(record: StreamFailureRecord): Promise<void> {
    const to = this.config.onFailure?.stream;
    if (to) await this.connection().xadd(to, "*", "body", JSON.stringify(record));
  }

  async close(): Promise<void> {
    if (this.conn) await closeConnection(this.conn);
    this.conn = undefined;
  }

  async forgetCheckpoint(): Promise<void> {
    const conn = new Redis(this.url, { ...commandConnectionOptions(), connectionName: "hotswap-stream-trigger", lazyConnect: true });
    conn.on("error", () => undefined); // surfaced by the failing command
    try {
      await conn.connect();
      await conn.del(this.key);
    } finally {
      await closeConnection(conn);
    }
  }

  private connection(): Redis {
    if (!this.conn) throw new Error(`the Redis stream source of trigger ${this.triggerId} is not open`);
    return this.conn;
  }
}

/** `s` matched literally by a Redis glob pattern. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, "\\$&");
}

function toRecord(id: string, fields: Buffer[], stream: string): StreamRecord {
  let data: Buffer | undefined;
  let partitionKey: string | undefined;
  const all: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    const value = fields[i + 1]!;
    if (name === "data") data = value;
    else if (name === "partitionKey") partitionKey = value.toString();
    all[name] = value.toString();
  }
  return {
    sequenceNumber: id,
    partitionKey: partitionKey ?? stream,
    data: data ?? Buffer.from(JSON.stringify(all)),
    arrivedAt: Number(id.slice(0, id.indexOf("-"))),
  };
}
