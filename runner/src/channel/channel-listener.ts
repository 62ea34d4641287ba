/**
 * TCP transport of the fast channel, for instances that cannot inherit a socket from the runner
 * (containers, possibly on another network namespace or host). One listener serves every
 * instance of a backend: each instance gets a one-time token (HOTSWAP_CHANNEL_TOKEN), connects to
 * HOTSWAP_CHANNEL_TCP, and sends `hello` with that token as its first frame. The listener hands
 * the connection, hello included, to whoever expects the token. A peer that sends anything else,
 * an unknown or already used token, or nothing within the hello timeout is disconnected.
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import { FRAME_PREFIX_BYTES } from "../../../protocol/frame.ts";

/** A hello frame is a few hundred bytes; anything larger before the hello is not a bootstrap. */
const MAX_HELLO_BYTES = 64 * 1024;

export interface ChannelListenerOptions {
  /** Address to bind. Default 127.0.0.1. */
  host?: string;
  /** Port to bind. Default 0 (ephemeral). */
  port?: number;
  /** Host written into HOTSWAP_CHANNEL_TCP when it differs from the bind address. */
  advertiseHost?: string;
  /** How long a connection may take to send its hello. Default 10 000 ms. */
  helloTimeoutMs?: number;
}

export interface ExpectedConnection {
  /** The value for HOTSWAP_CHANNEL_TOKEN. */
  token: string;
  /**
   * Resolves with the instance's socket, paused, with its hello frame still unread: attach the
   * reader (new FastChannel(socket)) and then call socket.resume().
   */
  connected: Promise<net.Socket>;
  /** Stop expecting this token (the instance died or was never started); `connected` rejects. */
  cancel(): void;
}

interface Expectation {
  resolve(s: net.Socket): void;
  reject(e: Error): void;
}

export class ChannelListener {
  /** `host:port` for HOTSWAP_CHANNEL_TCP. */
  address = "";
  private readonly server: net.Server;
  private readonly expected = new Map<string, Expectation>();
  private readonly unidentified = new Set<net.Socket>();
  private readonly helloTimeoutMs: number;
  private closed = false;

  private constructor(opts: ChannelListenerOptions) {
    this.helloTimeoutMs = opts.helloTimeoutMs ?? 10_000;
    this.server = net.createServer({ noDelay: true }, (s) => this.identify(s));
  }

  static async start(opts: ChannelListenerOptions = {}): Promise<ChannelListener> {
    const l = new ChannelListener(opts);
    const host = opts.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      l.server.once("error", reject);
      l.server.listen(opts.port ?? 0, host, () => {
        l.server.removeListener("error", reject);
        resolve();
      });
    });
    l.server.on("error", () => {}); // accept errors (EMFILE...) must not crash the runner
    const port = (l.server.address() as net.AddressInfo).port;
    const shown = opts.advertiseHost ?? (host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host);
    l.address = `${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
    return l;
  }

  /** Connections expected and not yet made. */
  get pending(): number {
    return this.expected.size;
  }

  /** Register a fresh one-time token for an instance about to start. */
  expect(): ExpectedConnection {
    const token = randomBytes(16).toString("hex");
    let resolve!: (s: net.Socket) => void;
    let reject!: (e: Error) => void;
    const connected = new Promise<net.Socket>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    connected.catch(() => {});
    if (this.closed) reject(new Error("the channel listener is closed"));
    else this.expected.set(token, { resolve, reject });
    return {
      token,
      connected,
      cancel: () => {
        const e = this.expected.get(token);
        if (!e) return;
        this.expected.delete(token);
        e.reject(new Error("the connection is no longer expected"));
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const e of this.expected.values()) e.reject(new Error("the channel listener is closed"));
    this.expected.clear();
    for (const s of this.unidentified) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Read the first frame; hand the socket over if it is a hello with an expected token. */
  private identify(socket: net.Socket): void {
    this.unidentified.add(socket);
    const chunks: Buffer[] = [];
    let size = 0;
    const drop = () => {
      cleanup();
      socket.destroy();
    };
    const timer = setTimeout(drop, this.helloTimeoutMs);
    timer.unref();
    const cleanup = () => {
      clearTimeout(timer);
      socket.removeListener("data", onData);
      this.unidentified.delete(socket);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size < FRAME_PREFIX_BYTES) return;
      const head = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      const hl = head.readUInt32BE(0);
      const total = FRAME_PREFIX_BYTES + hl + head.readUInt32BE(4);
      if (total > MAX_HELLO_BYTES) return drop();
      if (size < total) return;
      let token: unknown;
      try {
        const header = JSON.parse(head.toString("utf8", FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + hl)) as { type?: unknown; token?: unknown };
        token = header.type === "hello" ? header.token : undefined;
      } catch {
        token = undefined;
      }
      const waiter = typeof token === "string" ? this.expected.get(token) : undefined;
      if (!waiter) return drop();
      this.expected.delete(token as string);
      cleanup();
      // Paused with the bytes put back, so the new owner reads the hello itself and nothing is lost.
      socket.pause();
      socket.unshift(head);
      waiter.resolve(socket);
    };
    socket.on("data", onData);
    socket.on("error", () => {});
    socket.once("close", () => {
      if (this.unidentified.has(socket)) cleanup();
    });
  }
}
