/**
 * Queue triggers on Redis Streams: a consumer group per trigger (`group`, else `hotswap-<trigger id>`,
 * created at the start of the stream) read with XREADGROUP. A message stays in the group's pending
 * list until it is settled: XACK after success; for a retry it stays pending and this consumer
 * XCLAIMs it again when its delay is over (which counts a delivery); dead-lettering XADDs it to the
 * dead-letter stream and XACKs it in one MULTI. Held messages are re-claimed (JUSTID, no delivery
 * counted) every third of the stale threshold, so only messages of a dead or stalled consumer go
 * idle; any consumer claims those (XPENDING IDLE + XCLAIM) with their delivery count from XPENDING.
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { QueueTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { blockingConnectionOptions, commandConnectionOptions } from "../../../../shared/state/redis-connection.ts";
import { DelayedWork } from "./delayed-work.ts";
import type { QueueMessage, QueueReceiver } from "./queue-source.ts";

export interface RedisQueueOptions {
  url: string;
  triggerId: string;
  config: QueueTriggerConfig;
  staleAfterMs: number;
}

type Entry = [id: string, fields: string[]];

/** The consumer group a trigger reads with. */
export function redisGroupOf(triggerId: string, config: QueueTriggerConfig): string {
  return config.group ?? `hotswap-${triggerId}`;
}

export async function openRedisQueue(o: RedisQueueOptions): Promise<QueueReceiver> {
  const reader = new Redis(o.url, { ...blockingConnectionOptions(), lazyConnect: true, connectionName: "hotswap-queue-reader" });
  const cmd = new Redis(o.url, { ...commandConnectionOptions(), lazyConnect: true, connectionName: "hotswap-queue" });
  for (const c of [reader, cmd]) c.on("error", () => undefined); // surfaced by the failing command; the consumer logs it once
  try {
    await Promise.all([reader.connect(), cmd.connect()]);
    const receiver = new RedisQueue(reader, cmd, o);
    await receiver.init();
    return receiver;
  } catch (e) {
    reader.disconnect();
    cmd.disconnect();
    throw e;
  }
}

class RedisQueue implements QueueReceiver {
  private readonly stream: string;
  private readonly group: string;
  private readonly consumer = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Received and not settled (running, or waiting for a retry): id → receiveCount. */
  private readonly held = new Map<string, number>();
  /** Messages due again (retries, claims), handed out before new ones. */
  private ready: QueueMessage[] = [];
  private readonly work = new DelayedWork();

  constructor(
    private readonly reader: Redis,
    private readonly cmd: Redis,
    private readonly o: RedisQueueOptions,
  ) {
    this.stream = o.config.stream!;
    this.group = redisGroupOf(o.triggerId, o.config);
  }

  async init(): Promise<void> {
    try {
      await this.cmd.call("xgroup", "CREATE", this.stream, this.group, "0", "MKSTREAM");
    } catch (e) {
      if (!String((e as Error).message).includes("BUSYGROUP")) throw e;
    }
    this.work.every(Math.max(50, Math.floor(this.o.staleAfterMs / 3)), () => this.touch());
    this.work.every(Math.max(50, Math.floor(this.o.staleAfterMs / 2)), () => this.claimStale());
  }

  async receive(max: number, waitMs: number, signal: AbortSignal): Promise<QueueMessage[]> {
    if (this.ready.length > 0) return this.take(this.ready.splice(0, max));
    if (signal.aborted) return [];
    const reply = (await this.reader.call("xreadgroup", "GROUP", this.group, this.consumer, "COUNT", max, "BLOCK", Math.max(1, Math.min(waitMs, 1000)), "STREAMS", this.stream, ">")) as [string, Entry[]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    return this.take(entries.map((e) => this.message(e, 1)));
  }

  async ack(m: QueueMessage): Promise<void> {
    await this.cmd.xack(this.stream, this.group, m.messageId);
    this.held.delete(m.messageId);
  }

  async retry(m: QueueMessage, delayMs: number): Promise<void> {
    this.work.after(delayMs, () => this.redeliver(m)); // if that fails it stays pending: claimed as stale later
  }

  async deadLetter(m: QueueMessage, why: string): Promise<void> {
    const fields = Object.entries({ ...m.messageAttributes, body: m.body, "hotswap-message-id": m.messageId, "hotswap-receive-count": String(m.receiveCount), "hotswap-trigger": this.o.triggerId, "hotswap-error": why.slice(0, 1000) });
    const reply = await this.cmd.multi().xadd(this.o.config.deadLetter!.stream!, "*", ...fields.flat()).xack(this.stream, this.group, m.messageId).exec();
    const failed = reply?.find(([err]) => err);
    if (!reply || failed) throw failed?.[0] ?? new Error("the dead-letter transaction was discarded");
    this.held.delete(m.messageId);
  }

  async close(): Promise<void> {
    this.work.cancel();
    this.reader.disconnect();
    // Leave no empty consumer behind in the group (each receiver has its own name). One that still
    // has pending entries stays: deleting it would drop them from the group's pending list.
    try {
      const mine = (await this.cmd.call("xpending", this.stream, this.group, "-", "+", 1, this.consumer)) as unknown[];
      if (mine.length === 0) await this.cmd.call("xgroup", "DELCONSUMER", this.stream, this.group, this.consumer);
    } catch {
      // the broker is gone: the consumer stays, empty or with entries others will claim
    }
    await this.cmd.quit().catch(() => this.cmd.disconnect());
  }

  private take(ms: QueueMessage[]): QueueMessage[] {
    for (const m of ms) this.held.set(m.messageId, m.receiveCount);
    return ms;
  }

  private message([id, flat]: Entry, receiveCount: number): QueueMessage {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    const { body, ...attributes } = fields;
    return { messageId: id, body: body ?? JSON.stringify(fields), receiveCount, sentTimestamp: Number(id.split("-")[0]), messageAttributes: attributes, handle: id };
  }

  /** Claim a message back after its retry delay: a new delivery, counted by Redis and here. */
  private async redeliver(m: QueueMessage): Promise<void> {
    const claimed = (await this.cmd.call("xclaim", this.stream, this.group, this.consumer, 0, m.messageId)) as (Entry | null)[];
    const entry = claimed[0];
    if (!entry) {
      this.held.delete(m.messageId); // deleted from the stream, or settled elsewhere
      return;
    }
    this.ready.push(this.message(entry, m.receiveCount + 1));
  }

  /** Reset the idle time of what this consumer holds, so nobody takes it as stale. */
  private async touch(): Promise<void> {
    if (this.held.size === 0) return;
    await this.cmd.call("xclaim", this.stream, this.group, this.consumer, 0, ...this.held.keys(), "JUSTID");
  }

  /** Take over messages a dead or stalled consumer left pending. */
  private async claimStale(): Promise<void> {
    const pending = (await this.cmd.call("xpending", this.stream, this.group, "IDLE", this.o.staleAfterMs, "-", "+", 100)) as [string, string, number, number][];
    const counts = new Map(pending.filter(([id]) => !this.held.has(id)).map(([id, , , n]) => [id, Number(n)]));
    if (counts.size === 0 || this.work.isCancelled) return;
    const claimed = (await this.cmd.call("xclaim", this.stream, this.group, this.consumer, this.o.staleAfterMs, ...counts.keys())) as (Entry | null)[];
    for (const e of claimed) if (e) this.ready.push(this.take([this.message(e, (counts.get(e[0]) ?? 0) + 1)])[0]!);
  }
}
