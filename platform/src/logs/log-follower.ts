/**
 * One live tail as Server-Sent Events: the matching backlog (read from the database page by page,
 * only as fast as the client takes it), then the live lines the hub offers. The stream is pulled:
 * the HTTP layer asks for the next chunk only once the socket has taken the last one, so a client
 * that stops reading stops the pulls, its live lines pile up in a queue bounded by lines and bytes,
 * and when that overflows the follower leaves the hub, drops the queue, and ends with a final
 * `end` event (or, if the client does not read even that within `endGraceMs`, loses its
 * connection). Lines the backlog already sent are not sent again when they also arrive live.
 */
import { LOG_END_EVENT, LOG_EVENT, type LogPosition, type LogTailEnd } from "../../../protocol/api/logs.ts";
import type { LogLineFilter } from "../db/index.ts";
import { cursorOf, lineMatches, toLogLine, type LogLine } from "./log-lines.ts";

export interface FollowerLimits {
  /** Live lines a follower may hold unsent. @default 1000 */
  maxQueuedLines?: number;
  /** Bytes of live messages a follower may hold unsent. @default 1 MiB */
  maxQueuedBytes?: number;
  /** Interval of the `: heartbeat` comment that keeps proxies from closing an idle stream. @default 15000 */
  heartbeatMs?: number;
  /** How long an ended follower waits for the client to read its final event before cutting the connection. @default 10000 */
  endGraceMs?: number;
}

export interface FollowerSource {
  filter: LogLineFilter;
  /**
   * The next backlog page after `after` (undefined: the first page, the newest lines). An empty
   * page ends the backlog.
   */
  backlog(after: LogPosition | undefined): Promise<LogLine[]>;
  /** Cuts the client's connection unless its response was written out in full (a client that stopped reading). */
  disconnect(): void;
  /** Called once the follower ended, whatever the reason, so the hub can forget it. */
  onEnd(): void;
}

/** Cursors remembered from the backlog to skip when the same lines arrive live. */
const REMEMBERED_IDS = 10_000;
/** Events joined into one chunk, at most about this many bytes. */
const CHUNK_BYTES = 64 * 1024;

const encoder = new TextEncoder();

export class LogFollower {
  readonly stream: ReadableStream<Uint8Array>;
  private readonly maxLines: number;
  private readonly maxBytes: number;
  private readonly endGraceMs: number;
  private queue: LogLine[] = [];
  private queuedBytes = 0;
  private phase: "backlog" | "live" | "ended" = "backlog";
  private after: LogPosition | undefined;
  private readonly sent = new Set<string>();
  private heartbeatDue = false;
  private readonly heartbeat: NodeJS.Timeout;
  private endReason: LogTailEnd | undefined;
  private endWritten = false;
  private wake: (() => void) | undefined;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: FollowerSource,
    startAfter: LogPosition | undefined,
    limits: FollowerLimits = {},
  ) {
    this.maxLines = limits.maxQueuedLines ?? 1000;
    this.maxBytes = limits.maxQueuedBytes ?? 1024 * 1024;
    this.endGraceMs = limits.endGraceMs ?? 10_000;
    this.after = startAfter;
    this.heartbeat = setInterval(() => {
      this.heartbeatDue = true;
      this.wake?.();
    }, limits.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    this.stream = new ReadableStream<Uint8Array>(
      {
        // Sent at once, so the client sees the headers and knows how soon to reconnect.
        start: (controller) => controller.enqueue(encoder.encode("retry: 2000\n\n")),
        pull: (controller) => this.pull(controller),
        cancel: () => this.finish(),
      },
      { highWaterMark: 1 },
    );
  }

  /** Lines held for the client now (for tests and metrics). */
  get queued(): number {
    return this.queue.length;
  }

  /** A live line from the hub: queued when it matches; overflowing the bound ends the follower. */
  offer(line: LogLine): void {
    if (this.phase === "ended" || !lineMatches(this.source.filter, line)) return;
    this.queue.push(line);
    this.queuedBytes += line.message.length + 200;
    if (this.queue.length > this.maxLines || this.queuedBytes > this.maxBytes) {
      this.end({ reason: "slow-client", message: `The client read too slowly: more than ${this.maxLines} lines or ${this.maxBytes} bytes were waiting. Reconnect with Last-Event-ID to resume.` });
      return;
    }
    this.wake?.();
  }

  /** Ends the tail with a final `end` event (shutdown, slow client). */
  end(why: LogTailEnd): void {
    if (this.phase === "ended") return;
    this.phase = "ended";
    this.endReason = why;
    this.queue = [];
    this.queuedBytes = 0;
    clearInterval(this.heartbeat);
    this.source.onEnd();
    // A client that is not reading never takes the final event: cut it after the grace period
    // (the route's disconnect leaves a response that was written out in full alone).
    this.graceTimer = setTimeout(() => this.source.disconnect(), this.endGraceMs);
    this.graceTimer.unref();
    this.wake?.();
  }

  private async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (this.phase === "ended") {
        if (this.endWritten) return;
        this.endWritten = true;
        if (this.endReason) controller.enqueue(encoder.encode(`event: ${LOG_END_EVENT}\ndata: ${JSON.stringify(this.endReason)}\n\n`));
        controller.close();
        this.release();
        return;
      }
      if (this.phase === "backlog") {
        let page: LogLine[];
        try {
          page = await this.source.backlog(this.after);
        } catch (e) {
          this.finish(); // the stream errors and the connection is cut; the client resumes with Last-Event-ID
          throw e;
        }
        if (this.phase !== "backlog") continue;
        if (page.length === 0) {
          this.phase = "live";
          continue;
        }
        this.after = page[page.length - 1]!.position;
        for (const l of page) this.remember(cursorOf(l));
        controller.enqueue(encoder.encode(page.map(eventOf).join("")));
        return;
      }
      if (this.queue.length > 0) {
        let text = "";
        while (this.queue.length > 0 && text.length < CHUNK_BYTES) {
          const l = this.queue.shift()!;
          this.queuedBytes -= l.message.length + 200;
          if (this.sent.has(cursorOf(l))) continue;
          text += eventOf(l);
        }
        if (text) {
          controller.enqueue(encoder.encode(text));
          return;
        }
        continue;
      }
      if (this.heartbeatDue) {
        this.heartbeatDue = false;
        controller.enqueue(encoder.encode(": heartbeat\n\n"));
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  private remember(cursor: string): void {
    this.sent.add(cursor);
    if (this.sent.size > REMEMBERED_IDS) this.sent.delete(this.sent.values().next().value!);
  }

  /** The client went away: release everything, the grace timer too. */
  private finish(): void {
    this.release();
    if (this.graceTimer) clearTimeout(this.graceTimer);
  }

  /** No more events: leave the hub, drop the queue, stop the heartbeat. */
  private release(): void {
    if (this.phase !== "ended") {
      this.phase = "ended";
      this.source.onEnd();
    }
    this.endWritten = true;
    this.queue = [];
    clearInterval(this.heartbeat);
    this.wake?.();
  }
}

function eventOf(l: LogLine): string {
  return `id: ${cursorOf(l)}\nevent: ${LOG_EVENT}\ndata: ${JSON.stringify(toLogLine(l))}\n\n`;
}
