/**
 * The function-log ingest: every control-plane replica consumes the runners' log stream
 * (FUNCTION_LOGS_STREAM) as one consumer of a shared consumer group, so each batch is stored once
 * whichever replica reads it. A read of a few entries becomes one multi-row insert (off the
 * invocation path: runners only append to the stream); the entries are acked once the rows are
 * committed, and the stored rows, with their ids, are republished on FUNCTION_LOGS_LIVE_CHANNEL
 * for the live tails of every replica. An entry holds rows (field `rows`: one per invocation in
 * the runner's batch, see protocol/function-log-rows.ts), or one row per line (field `records`,
 * as runners before packing wrote). Entries a dead replica read but never acked are claimed after
 * `claimIdleMs`; the rows of a claimed entry that are already stored (the replica died between
 * commit and ack) are skipped, so a redelivered batch is not stored twice. A malformed entry is
 * acked and counted, never retried. Memory is bounded by `readCount` entries (each a runner's
 * bounded batch) per replica.
 */
import type { StateStore, StreamEntry } from "../../../shared/state/state-store.ts";
import { FUNCTION_LOGS_LIVE_CHANNEL, FUNCTION_LOGS_STREAM, FunctionLogBatch, FunctionLogStream } from "../../../protocol/function-logs.ts";
import { LOG_PACK_STREAM, type FunctionLogRow } from "../../../protocol/function-log-rows.ts";
import type { FunctionLogsRepository, StoredLogRow } from "../db/index.ts";
import { encodeLiveRows } from "./live-rows.ts";

/** The consumer group every control-plane replica reads the log stream in. */
export const FUNCTION_LOG_GROUP = "function-log-writer";

export interface LogIngestOptions {
  state: StateStore;
  logs: FunctionLogsRepository;
  /** Unique per replica (its holder id): the consumer name in the group. */
  consumer: string;
  /** Stream entries per read (and so per insert; a runner batch holds up to 500 lines). @default 16 */
  readCount?: number;
  /** How long a read waits for entries; also the longest stop() waits for a read in progress. @default 250 */
  blockMs?: number;
  /** Entries pending this long (a replica died holding them) are taken over. @default 30000 */
  claimIdleMs?: number;
  /** How long a failed insert waits before the next attempt. @default 1000 */
  retryMs?: number;
  onError?(e: unknown, what: string): void;
}

export interface LogIngestCounts {
  /** Stream entries stored and acked. */
  entries: number;
  /** Rows inserted (a row holds one line, or one invocation's lines in a runner batch). */
  rows: number;
  /** Rows of claimed entries found already stored, not stored again. */
  duplicates: number;
  /** Entries acked without storing: not a JSON array of FunctionLogRecord. */
  invalid: number;
  /** Entries taken over from another consumer. */
  claimed: number;
}

export class FunctionLogIngest {
  readonly counts: LogIngestCounts = { entries: 0, rows: 0, invalid: 0, claimed: 0, duplicates: 0 };
  private readonly readCount: number;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;
  private readonly retryMs: number;
  private running: Promise<void> | undefined;
  private stopping = false;
  private lastClaim = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly opts: LogIngestOptions) {
    this.readCount = opts.readCount ?? 16;
    this.blockMs = opts.blockMs ?? 250;
    this.claimIdleMs = opts.claimIdleMs ?? 30_000;
    this.retryMs = opts.retryMs ?? 1000;
  }

  /** Creates the group (idempotent: the first replica ever starts it at the stream's beginning) and starts consuming. */
  async start(): Promise<void> {
    await this.opts.state.createGroup(FUNCTION_LOGS_STREAM, FUNCTION_LOG_GROUP, "0");
    this.lastClaim = Date.now();
    this.running = this.loop();
  }

  /**
   * Stops reading: the read in progress is stored and acked, then whatever is already in the
   * stream is drained for up to `drainMs` (lines written just before shutdown), then it returns.
   */
  async stop(drainMs = 1000): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
    const deadline = Date.now() + drainMs;
    while (Date.now() < deadline) {
      const entries = await this.opts.state.readGroup(FUNCTION_LOGS_STREAM, FUNCTION_LOG_GROUP, this.opts.consumer, { count: this.readCount }).catch(() => []);
      if (entries.length === 0) break;
      if (!(await this.store(entries))) break;
    }
  }

  /** One pass: take over stale entries when due, read new ones, store them. Exposed for tests; the loop calls it. */
  async poll(blockMs = this.blockMs): Promise<number> {
    const { state, consumer } = this.opts;
    let entries: StreamEntry[] = [];
    let claimed = false;
    if (Date.now() - this.lastClaim >= Math.min(this.claimIdleMs, 5000)) {
      this.lastClaim = Date.now();
      entries = await state.claimStale(FUNCTION_LOGS_STREAM, FUNCTION_LOG_GROUP, consumer, this.claimIdleMs, this.readCount);
      this.counts.claimed += entries.length;
      claimed = entries.length > 0;
      // A full claim means more are waiting (catching up after an outage): claim again next pass.
      if (entries.length === this.readCount) this.lastClaim = 0;
    }
    if (entries.length === 0) entries = await state.readGroup(FUNCTION_LOGS_STREAM, FUNCTION_LOG_GROUP, consumer, { count: this.readCount, blockMs });
    if (entries.length === 0) return 0;
    return (await this.store(entries, claimed)) ? entries.length : 0;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.poll();
      } catch (e) {
        if (this.stopping) break;
        this.opts.onError?.(e, "reading the function log stream");
        await this.pause(this.retryMs);
      }
    }
  }

  /**
   * Validates, inserts, acks and republishes. False when the database is down: the entries stay
   * pending (unacked) and are claimed again after claimIdleMs, so nothing read is lost. When the
   * database is up but the insert failed, the data is to blame: each entry is tried alone, and
   * those that still fail are dropped and counted (poison never blocks the stream). `redelivered`:
   * the entries were claimed from another consumer, which may have stored them before dying.
   */
  private async store(entries: StreamEntry[], redelivered = false): Promise<boolean> {
    const { state, logs } = this.opts;
    const batches: { id: string; records: FunctionLogRow[] }[] = [];
    const invalid: string[] = [];
    for (const e of entries) {
      const records = parseEntry(e);
      if (records === undefined) invalid.push(e.id);
      else batches.push({ id: e.id, records });
    }
    let stored: StoredLogRow[];
    try {
      if (redelivered) await this.skipStored(batches);
      stored = await logs.insert(batches.flatMap((b) => b.records));
    } catch (e) {
      this.opts.onError?.(e, "storing function log lines");
      if (!(await this.databaseUp())) {
        if (invalid.length > 0) await this.drop(invalid, "not a JSON array of log records");
        if (!this.stopping) await this.pause(this.retryMs);
        return false;
      }
      stored = [];
      for (const b of batches) {
        try {
          stored.push(...(await logs.insert(b.records)));
        } catch {
          invalid.push(b.id);
        }
      }
    }
    if (invalid.length > 0) await this.drop(invalid, "not storable log records");
    const good = entries.map((e) => e.id).filter((id) => !invalid.includes(id));
    if (good.length > 0) await state.ack(FUNCTION_LOGS_STREAM, FUNCTION_LOG_GROUP, good);
    this.counts.entries += good.length;
    this.counts.rows += stored.length;
    for (const message of encodeLiveRows(stored)) {
      await state.publish(FUNCTION_LOGS_LIVE_CHANNEL, message).catch((e: unknown) => this.opts.onError?.(e, "publishing function log rows to live tails"));
    }
    return true;
  }

  /** Removes from the batches the rows that are stored already (identical in every field). */
  private async skipStored(batches: { records: FunctionLogRow[] }[]): Promise<void> {
    const found = await this.opts.logs.existing(batches.flatMap((b) => b.records));
    if (found.size === 0) return;
    this.counts.duplicates += found.size;
    let k = 0;
    for (const b of batches) b.records = b.records.filter(() => !found.has(k++));
  }

  /** Acks entries that will never be stored, counts them, and says so. */
  private async drop(ids: string[], why: string): Promise<void> {
    this.counts.invalid += ids.length;
    this.opts.onError?.(new Error(`${ids.length} function log stream entr${ids.length === 1 ? "y is" : "ies are"} ${why} (first: ${ids[0]}); dropped`), "validating function log batches");
    await this.opts.state.ack(FUNCTION_LOGS_STREAM, FUNCTION_LOG_GROUP, ids).catch(() => 0);
  }

  /** Whether the database answers a trivial read: tells an outage from data it refuses. */
  private async databaseUp(): Promise<boolean> {
    try {
      await this.opts.logs.page({ functionName: "", limit: 1 });
      return true;
    } catch {
      return false;
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}

const STREAMS = new Set<string>([...FunctionLogStream.options, LOG_PACK_STREAM]);

/**
 * The rows of an entry: its `rows` field (a JSON array of FunctionLogRowTuple), or its `records`
 * field (a FunctionLogBatch, one row a line); undefined when it holds neither. Checked by hand,
 * not by a schema: this runs for every row stored.
 */
function parseEntry(e: StreamEntry): FunctionLogRow[] | undefined {
  const { rows, records } = e.fields;
  const json = parseJson(rows ?? records);
  if (!Array.isArray(json)) return undefined;
  let out: FunctionLogRow[];
  if (rows !== undefined) {
    out = [];
    for (const t of json) {
      if (!isRowTuple(t)) return undefined;
      out.push({ functionName: t[0], version: t[1], requestId: t[2], instanceId: t[3], at: t[4], stream: t[5], message: t[6] });
    }
  } else {
    const parsed = FunctionLogBatch.safeParse(json);
    if (!parsed.success) return undefined;
    out = parsed.data;
  }
  // Postgres text cannot hold NUL; a function may well print one.
  for (const r of out) if (r.message.includes("\0")) r.message = r.message.replaceAll("\0", "\uFFFD");
  return out;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRowTuple(t: unknown): t is [string, number, string | null, string, number, FunctionLogRow["stream"], string] {
  return (
    Array.isArray(t) &&
    t.length === 7 &&
    typeof t[0] === "string" &&
    Number.isInteger(t[1]) &&
    t[1] > 0 &&
    (t[2] === null || typeof t[2] === "string") &&
    typeof t[3] === "string" &&
    typeof t[4] === "number" &&
    Number.isFinite(t[4]) &&
    STREAMS.has(t[5]) &&
    typeof t[6] === "string"
  );
}
