/**
 * Runner side of HotSwap's fast channel (runtimes/PROTOCOL.md) over any Duplex byte stream:
 * a socketpair for the process backend, a unix socket in a shared volume for docker.
 * Sends init/invoke frames, correlates result/error frames by request id, and fails every
 * pending invocation when the stream ends.
 */
import { errorDocument } from "../../../protocol/error-document.ts";
import type { Duplex } from "node:stream";
import { InitError, type InstanceInvokeRequest, type InstanceResult } from "../backends/backend.ts";
import { MAX_STREAMED_RESPONSE_BYTES, MAX_SYNC_PAYLOAD_BYTES } from "../../../protocol/limits.ts";
import { ResponseStreamCollector } from "./response-stream-collector.ts";
import { FrameBatch, FrameDecoder, FrameError, type Frame } from "../../../protocol/frame.ts";
import { CHANNEL_CLOSED_RESULT, ChannelClosedError, responseTooLarge, undelivered, type InstanceChannel } from "./instance-channel.ts";

/** What the bootstrap says first. */
export interface HelloInfo {
  runtime: string;
  version: string;
  pid: number;
}

/** The `init` message: everything a bootstrap needs to load one function version. */
export interface InitMessage {
  taskRoot: string;
  handler: string;
  functionName: string;
  functionVersion: string;
  /** MB */
  memorySize: number;
  /** Seconds */
  timeout: number;
  env: Record<string, string>;
  concurrency: number;
}

export interface FastChannelOptions {
  /**
   * Result for the invocations pending when the stream ends. The backend supplies one that names
   * the cause (timeout, out of memory, crash with exit code); it may wait for the process to exit.
   */
  closedResult?: () => InstanceResult | Promise<InstanceResult>;
  /** Largest result accepted (default 6 MB); larger ones become Function.ResponseSizeTooLarge. */
  maxResultBytes?: number;
}

type Deferred<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Callers may never look at it (a stem that is never specialised): no unhandled rejections.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function initErrorFrom(body: Buffer): InitError {
  return InitError.fromDocument(errorDocument(body, "Runtime.InitError"));
}

export class FastChannel implements InstanceChannel {
  /** Resolves with the bootstrap's hello; rejects with ChannelClosedError if the stream ends first. */
  readonly hello: Promise<HelloInfo>;
  readonly ready: Promise<void>;
  /** Resolves when the stream has ended, for whatever reason. */
  readonly closed: Promise<void>;

  private readonly helloD = deferred<HelloInfo>();
  private readonly readyD = deferred<void>();
  private readonly closedD = deferred<void>();
  private readonly pending = new Map<string, (r: InstanceResult) => void>();
  /** Sinks of the pending invocations that asked to stream (InstanceInvokeRequest.stream). */
  private readonly sinks = new Map<string, NonNullable<InstanceInvokeRequest["stream"]>>();
  /** The streamed responses in progress, by request id (`chunk` frames received). */
  private readonly streams = new Map<string, ResponseStreamCollector>();
  private readonly decoder: FrameDecoder;
  private readonly maxResultBytes: number;
  private initSent = false;
  private failure: InstanceResult | undefined;
  private ended = false;
  /** The bootstrap sent `exiting` (a fatal error): it answers what it has and runs nothing more. */
  private exiting = false;

  constructor(
    private readonly socket: Duplex,
    private readonly opts: FastChannelOptions = {},
  ) {
    this.hello = this.helloD.promise;
    this.ready = this.readyD.promise;
    this.closed = this.closedD.promise;
    this.maxResultBytes = opts.maxResultBytes ?? MAX_SYNC_PAYLOAD_BYTES;
    this.decoder = new FrameDecoder((f) => this.onFrame(f));
    socket.on("data", (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (err) {
        // A corrupt stream cannot be resynchronised: drop it, which fails everything pending.
        socket.destroy(err instanceof FrameError ? err : new FrameError(String(err)));
      }
    });
    socket.on("error", () => {}); // 'close' follows and carries the consequences
    socket.on("close", () => void this.onClose());
  }

  get inflight(): number {
    return this.pending.size;
  }

  /** Send init; resolves once the bootstrap answers ready, rejects with InitError on initError. */
  init(msg: InitMessage): Promise<void> {
    if (this.initSent) return this.ready;
    this.initSent = true;
    this.write(JSON.stringify({ type: "init", ...msg }));
    return this.ready;
  }

  /** False once the bootstrap said it is exiting, or the channel ended. */
  get accepting(): boolean {
    return !this.exiting && !this.ended && this.failure === undefined;
  }

  invoke(req: InstanceInvokeRequest): Promise<InstanceResult> {
    if (this.failure) return Promise.resolve(this.failure);
    if (this.ended) return Promise.resolve(CHANNEL_CLOSED_RESULT);
    // Not written: the bootstrap is on its way out and would never run it.
    if (this.exiting) return Promise.resolve(undelivered(CHANNEL_CLOSED_RESULT));
    const id = req.requestId;
    if (this.pending.has(id)) {
      return Promise.resolve({ kind: "platform-error", code: "InternalError", message: `request id ${id} is already in flight on this instance` });
    }
    // Hand-built header: the hot path skips JSON.stringify of an object.
    let header = `{"type":"invoke","id":${JSON.stringify(id)}`;
    if (req.qualifier) header += `,"qualifier":${JSON.stringify(req.qualifier)}`;
    header += `,"deadline":${Math.floor(req.deadlineMs)}`;
    if (req.traceparent) header += `,"traceparent":${JSON.stringify(req.traceparent)}`;
    if (req.clientContext) header += `,"clientContext":${JSON.stringify(req.clientContext)}`;
    header += "}";
    const result = new Promise<InstanceResult>((resolve) => this.pending.set(id, resolve));
    if (req.stream !== undefined) this.sinks.set(id, req.stream);
    this.write(header, req.payload);
    return result;
  }

  fail(result: InstanceResult): void {
    this.failure ??= result;
    for (const [id, resolve] of this.pending) resolve(result);
    this.pending.clear();
    this.sinks.clear();
    this.streams.clear();
  }

  async close(): Promise<void> {
    if (!this.ended) this.socket.destroy();
    await this.closed;
  }

  private write(header: string, body?: Buffer): void {
    // Frames written in the same event-loop turn leave in one write. setImmediate, not nextTick:
    // each HTTP request is parsed in its own I/O callback, and a nextTick would flush after every
    // one of them; the check phase runs once all the sockets that were readable in this poll were
    // served, so under load one syscall carries the invocations of many connections.
    if (this.outbox.frames === 0) setImmediate(this.flush);
    this.outbox.add(header, body);
  }

  /** Frames waiting for this turn's flush. */
  private readonly outbox = new FrameBatch();

  private readonly flush = (): void => {
    const out = this.outbox.take();
    if (this.ended || out.length === 0) return;
    if (out.length === 1) this.socket.write(out[0]);
    else {
      // A large payload travels as its own buffer: one writev of the parts, nothing copied again.
      this.socket.cork();
      for (const p of out) this.socket.write(p);
      this.socket.uncork();
    }
  };

  private onFrame({ header, body }: Frame): void {
    switch (header.type) {
      case "result":
      case "error": {
        const id = header.id as string;
        const resolve = this.pending.get(id);
        if (!resolve) return; // answered already (killed, failed): late replies are dropped
        this.pending.delete(id);
        this.sinks.delete(id);
        const stream = this.streams.get(id);
        if (stream !== undefined) {
          this.streams.delete(id);
          if (header.type === "error") resolve(stream.end(body.length ? body : Buffer.from('{"errorType":"Error","errorMessage":"the stream failed"}')));
          else resolve(stream.write(body) ?? stream.end()); // a body here is the stream's last bytes
          return;
        }
        if (body.length > this.maxResultBytes) resolve(responseTooLarge(body.length, this.maxResultBytes));
        else resolve({ kind: header.type === "result" ? "success" : "function-error", payload: body.length ? body : Buffer.from("null") });
        return;
      }
      case "chunk":
        this.onChunk(header, body);
        return;
      case "hello":
        this.helloD.resolve({ runtime: String(header.runtime), version: String(header.version), pid: Number(header.pid) });
        return;
      case "ready":
        this.readyD.resolve();
        return;
      case "exiting":
        // Sent before the replies to what was in flight, so no new invocation follows them in.
        this.exiting = true;
        return;
      case "initError":
        this.readyD.reject(initErrorFrom(body));
        return;
      default:
      // Unknown messages are ignored so a newer bootstrap can add some.
    }
  }

  /** A piece of a streamed response: to the invocation's sink, or buffered for a plain invoke. */
  private onChunk(header: Frame["header"], body: Buffer): void {
    const id = header.id as string;
    const resolve = this.pending.get(id);
    if (!resolve) return;
    let stream = this.streams.get(id);
    if (stream === undefined) {
      const contentType = typeof header.contentType === "string" ? header.contentType : "application/octet-stream";
      const sink = this.sinks.get(id);
      stream = new ResponseStreamCollector(contentType, sink, sink ? MAX_STREAMED_RESPONSE_BYTES : this.maxResultBytes);
      this.streams.set(id, stream);
    }
    const tooLarge = stream.write(body);
    if (tooLarge !== undefined) {
      // Past the limit the response is cut: the invocation fails now, the rest is dropped.
      this.pending.delete(id);
      this.sinks.delete(id);
      this.streams.delete(id);
      resolve(tooLarge);
    }
  }

  private async onClose(): Promise<void> {
    this.ended = true;
    this.helloD.reject(new ChannelClosedError("the instance closed its channel before saying hello"));
    this.readyD.reject(new ChannelClosedError("the instance closed its channel before it was ready"));
    if (this.pending.size > 0 && !this.failure) {
      let result = CHANNEL_CLOSED_RESULT;
      try {
        if (this.opts.closedResult) result = await this.opts.closedResult();
      } catch {
        // keep the generic result
      }
      this.fail(result);
    }
    this.closedD.resolve();
  }
}
