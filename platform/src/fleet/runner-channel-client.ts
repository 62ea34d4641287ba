/**
 * The control plane's end of the fleet channel to one runner (protocol/fleet-channel.ts): one
 * persistent connection, upgraded from HTTP(S) on the runner's own address, that carries every
 * invocation forwarded to that runner as frames. Each spec object is sent once per connection
 * and referenced by id afterwards; replies (and a streamed response's chunks, passed to the
 * caller's sink as they arrive) are matched by id; the frames of one event-loop turn leave in one write. Delivery semantics are RunnerClient's (ForwardResult): an invocation whose
 * frame had not been written when the connection failed was never delivered (safe to send
 * elsewhere); one that had been written is lost. The connection opens on first use and again
 * after it closes; a runner whose upgrade answer is not a 101 is asked again after FALLBACK_MS,
 * and the caller uses HTTP meanwhile.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import type { FunctionSpec, InvokeRequest, ResponseStreamSink } from "../../../protocol/invoke.ts";
import { HEADER_CLUSTER_SECRET } from "../../../protocol/fleet.ts";
import { FLEET_CHANNEL_PROTOCOL, RUNNER_PATH_CHANNEL, invokeFrameHeader, readReplyFrame } from "../../../protocol/fleet-channel.ts";
import { FrameBatch, FrameDecoder, type Frame } from "../../../protocol/frame.ts";
import type { ForwardResult } from "./runner-client.ts";

/** After a runner refused the upgrade, how long invocations go over HTTP before it is asked again. */
const FALLBACK_MS = 30_000;
/** How often the deadlines of pending invocations are checked. */
const SWEEP_MS = 250;

interface Pending {
  resolve: (r: ForwardResult) => void;
  /** Epoch ms after which the invocation is given up as lost. */
  deadline: number;
  /** Its frame has been handed to the socket. */
  written: boolean;
  /** Where a streamed response's begin and chunk frames go (the caller's sink). */
  sink: ResponseStreamSink | undefined;
}

interface Connection {
  socket: Socket | undefined;
  /** Spec ids of this connection: a new connection sends every spec again. */
  specIds: WeakMap<FunctionSpec, number>;
  nextSid: number;
  /** The runner said goaway: no new invocations on this connection. */
  draining: boolean;
  /** Pending invocations on this connection, by id. */
  pending: Map<number, Pending>;
  /** Invocations queued in `out` but not yet written. */
  unsent: Pending[];
  out: FrameBatch;
  flushScheduled: boolean;
}

export interface RunnerChannelOptions {
  connectTimeoutMs: number;
  ca?: Buffer;
  /** The name the runner's certificate must carry, when it is not the address's host. */
  servername?: string;
}

export class RunnerChannelClient {
  /** The connection new invocations go to. */
  private conn: Connection | undefined;
  /** Every connection with invocations that may still be answered (a draining one included). */
  private readonly conns = new Set<Connection>();
  private nextId = 0;
  private refusedUntil = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly address: string,
    private readonly secret: string,
    private readonly opts: RunnerChannelOptions,
  ) {}

  /** False while the runner refuses the upgrade (the caller forwards over HTTP then). */
  usable(): boolean {
    return !this.closed && Date.now() >= this.refusedUntil;
  }

  /**
   * Forward one invocation. `fallback` forwards it over HTTP instead; it is used when the runner
   * answers the upgrade with something other than a 101 (an older runner, a misconfigured proxy).
   */
  invoke(req: InvokeRequest, traceparent: string | undefined, timeoutMs: number, fallback: () => Promise<ForwardResult>): Promise<ForwardResult> {
    let c = this.conn;
    if (c === undefined || c.draining) c = this.connect(fallback);
    const conn = c;
    return new Promise((resolve) => {
      const p: Pending = { resolve, deadline: Date.now() + timeoutMs, written: false, sink: req.stream };
      const id = ++this.nextId;
      conn.pending.set(id, p);
      let sid = conn.specIds.get(req.spec);
      if (sid === undefined) {
        sid = ++conn.nextSid;
        conn.specIds.set(req.spec, sid);
        conn.out.add(JSON.stringify({ type: "spec", sid }), Buffer.from(JSON.stringify(req.spec), "utf8"));
      }
      conn.out.add(
        invokeFrameHeader(id, sid, { requestId: req.requestId, traceparent, clientContext: req.clientContext, qualifier: req.qualifier, logTail: req.logTail, stream: req.stream !== undefined }),
        req.payload,
      );
      conn.unsent.push(p);
      this.scheduleFlush(conn);
    });
  }

  /** Close the connection; whatever is pending on it is reported as lost (or not delivered). */
  close(): void {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.conn = undefined;
    for (const c of this.conns) this.fail(c, new Error("the runner client was closed"));
  }

  private connect(fallback: () => Promise<ForwardResult>): Connection {
    const conn: Connection = { socket: undefined, specIds: new WeakMap(), nextSid: 0, draining: false, pending: new Map(), unsent: [], out: new FrameBatch(), flushScheduled: false };
    this.conn = conn;
    this.conns.add(conn);
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    const url = new URL(RUNNER_PATH_CHANNEL, this.address);
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    const creq: ClientRequest = request(url, {
      method: "GET",
      agent: false,
      headers: { connection: "Upgrade", upgrade: FLEET_CHANNEL_PROTOCOL, [HEADER_CLUSTER_SECRET]: this.secret },
      ...(this.opts.ca ? { ca: this.opts.ca } : {}),
      ...(this.opts.servername ? { servername: this.opts.servername } : {}),
    });
    const timer = setTimeout(() => creq.destroy(Object.assign(new Error(`no fleet channel to ${this.address} within ${this.opts.connectTimeoutMs} ms`), { code: "UND_ERR_CONNECT_TIMEOUT" })), this.opts.connectTimeoutMs);
    creq.on("upgrade", (_res: IncomingMessage, socket: Socket, head: Buffer) => {
      clearTimeout(timer);
      if (this.conn !== conn) return void socket.destroy();
      this.open(conn, socket, head);
    });
    creq.on("response", (res: IncomingMessage) => {
      // Not a 101: this runner does not take the channel now. Send what waited over HTTP.
      clearTimeout(timer);
      res.resume();
      this.refusedUntil = Date.now() + FALLBACK_MS;
      if (this.conn === conn) this.conn = undefined;
      this.conns.delete(conn);
      const waiting = [...conn.pending.values()];
      conn.pending.clear();
      for (const p of waiting) void fallback().then(p.resolve);
    });
    creq.on("error", (e: Error) => {
      clearTimeout(timer);
      if (this.conn === conn) this.conn = undefined;
      this.fail(conn, e);
    });
    creq.end();
    return conn;
  }

  private open(conn: Connection, socket: Socket, head: Buffer): void {
    conn.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const decoder = new FrameDecoder((f) => this.onFrame(conn, f));
    const receive = (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (e) {
        socket.destroy(e as Error);
      }
    };
    socket.on("data", receive);
    socket.on("error", () => {});
    socket.on("close", () => {
      if (this.conn === conn) this.conn = undefined;
      this.fail(conn, Object.assign(new Error(`the fleet channel to ${this.address} closed`), { code: "ECONNRESET" }));
    });
    if (head.length > 0) receive(head);
    this.scheduleFlush(conn);
  }

  private onFrame(conn: Connection, f: Frame): void {
    const type = f.header.type;
    if (type === "chunk" || type === "begin") {
      const sink = conn.pending.get(f.header.id as number)?.sink;
      if (sink === undefined) return; // given up on already, or a runner sending what was not asked for
      if (type === "chunk") sink.write(f.body);
      else sink.begin(String(f.header.ct));
    } else if (type === "reply") {
      const r = readReplyFrame(f.header, f.body);
      if (r === undefined) return;
      const p = conn.pending.get(r.id);
      if (p === undefined) return; // given up on already (deadline)
      conn.pending.delete(r.id);
      p.resolve({ kind: "answered", outcome: r.outcome, free: r.free, inflight: r.inflight });
    } else if (type === "goaway") {
      conn.draining = true;
      if (this.conn === conn) this.conn = undefined;
    }
  }

  private scheduleFlush(conn: Connection): void {
    if (conn.flushScheduled || conn.socket === undefined) return;
    conn.flushScheduled = true;
    // setImmediate: every request read in this poll phase shares the write.
    setImmediate(() => {
      conn.flushScheduled = false;
      const socket = conn.socket;
      if (socket === undefined || socket.destroyed) return;
      for (const part of conn.out.take()) socket.write(part);
      for (const p of conn.unsent) p.written = true;
      conn.unsent.length = 0;
    });
  }

  /** The connection failed: written invocations are lost, the others were never delivered. */
  private fail(conn: Connection, error: Error): void {
    this.conns.delete(conn);
    conn.socket?.destroy();
    const pending = [...conn.pending.values()];
    conn.pending.clear();
    conn.unsent.length = 0;
    conn.out.take();
    for (const p of pending) p.resolve({ kind: p.written ? "lost" : "not-delivered", error });
  }

  private sweep(): void {
    const now = Date.now();
    for (const c of this.conns) {
      for (const [id, p] of c.pending) {
        if (p.deadline > now) continue;
        c.pending.delete(id);
        p.resolve({ kind: p.written ? "lost" : "not-delivered", error: Object.assign(new Error("the runner did not answer in time"), { code: "UND_ERR_HEADERS_TIMEOUT" }) });
      }
    }
  }
}
