/**
 * In-process stream with consumer groups, modelled on Redis Streams: ids `ms-seq` that only grow,
 * a last-delivered id per group, and a pending entries list (owner, delivery time, delivery count)
 * that ack removes from and claimStale (XAUTOCLAIM) reassigns. Blocking reads live in the store,
 * which owns the wake-ups; this module is synchronous.
 */
import type { StreamEntry } from "./state-store.ts";

interface StreamId {
  ms: number;
  seq: number;
}

interface StoredEntry extends StreamId {
  id: string;
  fields: Record<string, string>;
}

interface PendingEntry {
  consumer: string;
  deliveredAt: number;
  deliveries: number;
}

interface ConsumerGroup {
  lastDelivered: StreamId;
  /** Keyed by entry id; Map keeps insertion order, which is id order because ids only grow. */
  pending: Map<string, PendingEntry>;
}

function compareIds(a: StreamId, b: StreamId): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.seq - b.seq;
}

/** Same wording as Redis, so callers (and the contract suite) can match NOGROUP on either adapter. */
export function noGroupError(stream: string, group: string): Error {
  return new Error(`NOGROUP No such key '${stream}' or consumer group '${group}'`);
}

export class MemoryStream {
  private entries: StoredEntry[] = [];
  private byId = new Map<string, StoredEntry>();
  private lastId: StreamId = { ms: 0, seq: 0 };
  private groups = new Map<string, ConsumerGroup>();

  constructor(private readonly name: string) {}

  /** Append with an id greater than every earlier one, even when the clock stands still or steps back. */
  add(fields: Record<string, string>, now: number, maxLen?: number): string {
    const ms = Math.max(now, this.lastId.ms);
    const seq = ms === this.lastId.ms ? this.lastId.seq + 1 : 0;
    const entry: StoredEntry = { ms, seq, id: `${ms}-${seq}`, fields: { ...fields } };
    this.entries.push(entry);
    this.byId.set(entry.id, entry);
    this.lastId = { ms, seq };
    if (maxLen !== undefined && this.entries.length > maxLen) {
      // Pending entries may outlive the entry itself, as in Redis; claimStale drops them.
      for (const gone of this.entries.splice(0, this.entries.length - maxLen)) this.byId.delete(gone.id);
    }
    return entry.id;
  }

  /** Idempotent: an existing group keeps its position and pending list. */
  createGroup(group: string, startId: "$" | "0"): void {
    if (this.groups.has(group)) return;
    const lastDelivered = startId === "$" ? { ...this.lastId } : { ms: 0, seq: 0 };
    this.groups.set(group, { lastDelivered, pending: new Map() });
  }

  hasGroup(group: string): boolean {
    return this.groups.has(group);
  }

  /** Deliver entries after the group's last-delivered id to `consumer` and record them as pending. */
  readGroup(group: string, consumer: string, now: number, count?: number): StreamEntry[] {
    const g = this.requireGroup(group);
    const out: StreamEntry[] = [];
    for (let i = this.firstIndexAfter(g.lastDelivered); i < this.entries.length; i++) {
      if (count !== undefined && out.length >= count) break;
      const e = this.entries[i];
      g.lastDelivered = { ms: e.ms, seq: e.seq };
      g.pending.set(e.id, { consumer, deliveredAt: now, deliveries: 1 });
      out.push({ id: e.id, fields: { ...e.fields }, deliveries: 1 });
    }
    return out;
  }

  ack(group: string, ids: string[]): number {
    const g = this.groups.get(group);
    if (!g) return 0;
    let acked = 0;
    for (const id of new Set(ids)) if (g.pending.delete(id)) acked++;
    return acked;
  }

  /** XAUTOCLAIM from 0-0: reassign entries idle at least minIdleMs; forget pending ids whose entry was trimmed. */
  claimStale(group: string, consumer: string, minIdleMs: number, now: number, count: number): StreamEntry[] {
    const g = this.requireGroup(group);
    const out: StreamEntry[] = [];
    for (const [id, p] of g.pending) {
      if (out.length >= count) break;
      if (now - p.deliveredAt < minIdleMs) continue;
      const e = this.byId.get(id);
      if (!e) {
        g.pending.delete(id);
        continue;
      }
      p.consumer = consumer;
      p.deliveredAt = now;
      p.deliveries += 1;
      out.push({ id, fields: { ...e.fields }, deliveries: p.deliveries });
    }
    return out;
  }

  pendingCount(group: string): number {
    return this.requireGroup(group).pending.size;
  }

  private requireGroup(group: string): ConsumerGroup {
    const g = this.groups.get(group);
    if (!g) throw noGroupError(this.name, group);
    return g;
  }

  /** Binary search: index of the first entry with an id greater than `after`. */
  private firstIndexAfter(after: StreamId): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(this.entries[mid], after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
