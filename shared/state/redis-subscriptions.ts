/**
 * Pub/sub over one dedicated subscriber connection (created on first subscribe): any number of handlers
 * per channel share one SUBSCRIBE, and the last unsubscribe sends UNSUBSCRIBE. Commands go out in call
 * order on the one connection, so subscribe/unsubscribe races resolve the way they were issued.
 */
import type { Redis } from "ioredis";

type Handler = (message: string) => void;

interface Channel {
  handlers: Set<Handler>;
  /** Settles when the server confirmed SUBSCRIBE. */
  ready: Promise<unknown>;
}

export class RedisSubscriptions {
  private conn: Redis | undefined;
  private channels = new Map<string, Channel>();

  /**
   * @param connect creates the subscriber connection
   * @param onHandlerError receives what a handler threw, with the channel name as the caller knows it
   */
  constructor(
    private readonly connect: () => Redis,
    private readonly prefix: string,
    private readonly onHandlerError: (err: unknown, channel: string) => void,
  ) {}

  /** The subscriber connection, if one was opened. */
  get connection(): Redis | undefined {
    return this.conn;
  }

  async subscribe(channel: string, onMessage: Handler): Promise<() => Promise<void>> {
    const full = this.prefix + channel;
    const conn = this.subscriber();
    let entry = this.channels.get(full);
    if (!entry) {
      const created: Channel = { handlers: new Set(), ready: conn.subscribe(full) };
      created.ready.catch(() => {
        if (this.channels.get(full) === created) this.channels.delete(full);
      });
      this.channels.set(full, (entry = created));
    }
    // Wrapped so the same function subscribed twice is two independent subscriptions.
    const handler: Handler = (message) => onMessage(message);
    entry.handlers.add(handler);
    try {
      await entry.ready;
    } catch (err) {
      entry.handlers.delete(handler);
      throw err;
    }
    let done = false;
    const subscribed = entry;
    return async () => {
      if (done) return;
      done = true;
      subscribed.handlers.delete(handler);
      if (subscribed.handlers.size > 0 || this.channels.get(full) !== subscribed) return;
      this.channels.delete(full);
      if (this.conn && this.conn.status !== "end") await this.conn.unsubscribe(full);
    };
  }

  /** Forget every handler; the caller closes the connection. */
  clear(): void {
    this.channels.clear();
  }

  private subscriber(): Redis {
    if (this.conn) return this.conn;
    const conn = this.connect();
    conn.on("message", (full: string, message: string) => {
      const entry = this.channels.get(full);
      if (!entry) return;
      for (const handler of [...entry.handlers]) {
        try {
          handler(message);
        } catch (err) {
          this.onHandlerError(err, full.slice(this.prefix.length));
        }
      }
    });
    this.conn = conn;
    return conn;
  }
}
