/**
 * A per-instance AWS Lambda Runtime API server (version 2018-06-01): any Lambda custom runtime,
 * down to a bash script using curl, can run on HotSwap through it. It serves /next as a long poll,
 * takes /response, /error and /init/error, and presents the same InstanceChannel as the fast
 * channel. A `/response` sent with `Lambda-Runtime-Function-Response-Mode: streaming` (chunked) is
 * passed on as it arrives (response streaming), its failure told by the trailers
 * `Lambda-Runtime-Function-Error-Type` and `Lambda-Runtime-Function-Error-Body` (base64 JSON). Several concurrent /next callers each get their own invocation.
 *
 * With `allowedUid` (the sandboxed process backend) or `allowedPeers` (Docker), a caller that is
 * not the instance gets a bare 403 and never touches the queue, so another local process can
 * neither read an invocation nor forge its answer.
 * No request can throw out of the listener: unexpected errors are logged and answered 500.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { errorDocument } from "../../../protocol/error-document.ts";
import { invokedFunctionArn } from "../../../protocol/invoke.ts";
import { InitError, type InstanceInvokeRequest, type InstanceResult } from "../backends/backend.ts";
import { MAX_STREAMED_RESPONSE_BYTES, MAX_SYNC_PAYLOAD_BYTES } from "../../../protocol/limits.ts";
import { DEFAULT_STREAM_CONTENT_TYPE, HEADER_RESPONSE_MODE, TRAILER_ERROR_BODY, TRAILER_ERROR_TYPE } from "../../../protocol/response-stream.ts";
import { ResponseStreamCollector } from "./response-stream-collector.ts";
import { clientContextHeader } from "./client-context-header.ts";
import { peerUid } from "./peer-uid.ts";
import { CHANNEL_CLOSED_RESULT, ChannelClosedError, responseTooLarge, type InstanceChannel } from "./instance-channel.ts";
import { xrayTraceId } from "../../../shared/tracing/traceparent.ts";

const PREFIX = "/2018-06-01/runtime/";

export interface RuntimeApiServerOptions {
  /** Address to bind. Default 127.0.0.1; a docker backend binds the bridge address. */
  host?: string;
  /** Port to bind. Default 0 (an ephemeral port). */
  port?: number;
  /** Host written into AWS_LAMBDA_RUNTIME_API when it differs from the bind address. */
  advertiseHost?: string;
  /** The function whose ARN (with each invocation's qualifier) is sent as Lambda-Runtime-Invoked-Function-Arn. */
  functionName?: string;
  /** Largest response accepted; default 6 MB, as Lambda. */
  maxPayloadBytes?: number;
  /**
   * Peer addresses allowed to use the API (a container's own address, once known); requests that
   * arrive before it resolves wait for it, others get 403. Unset: any peer (a loopback-only server).
   */
  allowedPeers?: Promise<string[]>;
  /**
   * Answer only connections whose client socket belongs to this uid (the sandboxed instance's own,
   * read from the kernel's socket tables): another local process gets 403. For loopback servers.
   */
  allowedUid?: number;
  /** Where unexpected errors in a request go (default: one line on stderr). */
  onError?: (message: string) => void;
}

const FORBIDDEN = JSON.stringify({ errorType: "Forbidden", errorMessage: "Forbidden" });
/** The answer to every accepted /response and /error, written from one buffer and one header list. */
const ACCEPTED_BODY = Buffer.from(JSON.stringify({ status: "OK" }));
const ACCEPTED_HEADERS = ["Content-Type", "application/json", "Content-Length", String(ACCEPTED_BODY.length)];
const NEXT_PATH = "invocation/next";
/** Waiting /next calls at which the ones whose callers left are dropped (more live ones than this are rare). */
const WAITING_PRUNE_AT = 64;
const INVOCATION_PREFIX = "invocation/";

interface Invocation {
  req: InstanceInvokeRequest;
  resolve: (r: InstanceResult) => void;
}

/**
 * `invocation/<id>/response` or `invocation/<id>/error` as [path, id, kind] (the shape a regex
 * match has), read without a regex: it runs once per invocation.
 */
function invocationPath(path: string): [string, string, "response" | "error"] | null {
  if (!path.startsWith(INVOCATION_PREFIX)) return null;
  const slash = path.indexOf("/", INVOCATION_PREFIX.length);
  if (slash <= INVOCATION_PREFIX.length || path.indexOf("/", slash + 1) >= 0) return null;
  const kind = path.slice(slash + 1);
  if (kind !== "response" && kind !== "error") return null;
  return [path, path.slice(INVOCATION_PREFIX.length, slash), kind];
}

/** X-Ray trace header from a W3C traceparent (shared with the control plane's Lambda path). */
export { xrayTraceId };

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

export class RuntimeApiServer implements InstanceChannel {
  readonly ready: Promise<void>;
  /** `host:port` the server listens on. */
  address = "";

  private readonly server: http.Server;
  private readonly checkedSockets = new WeakMap<object, boolean>();
  private readonly readyD = deferred<void>();
  private readonly queued: Invocation[] = [];
  private readonly waiting: http.ServerResponse[] = [];
  /** `waiting` is pruned when it reaches this length (twice the live ones at the last pruning). */
  private pruneAt = WAITING_PRUNE_AT;
  private readonly delivered = new Map<string, Invocation>();
  private readonly maxPayload: number;
  private failure: InstanceResult | undefined;
  private isReady = false;
  private closed = false;
  /** Resolved allowedPeers; undefined while they are not known (or when any peer may call). */
  private peers: Set<string> | undefined;

  private constructor(private readonly opts: RuntimeApiServerOptions) {
    this.ready = this.readyD.promise;
    this.maxPayload = opts.maxPayloadBytes ?? MAX_SYNC_PAYLOAD_BYTES;
    // keepAliveTimeout 0: a runtime may sit idle between invocations for minutes; closing its
    // keep-alive socket under it would race with its next /next.
    this.server = http.createServer({ keepAliveTimeout: 0, requestTimeout: 0, noDelay: true }, (req, res) => this.guarded(req, res, () => this.route(req, res)));
    opts.allowedPeers?.then(
      (list) => (this.peers = new Set(list)),
      () => (this.peers = new Set()),
    );
  }

  /** Start a server and wait until it listens. */
  static async start(opts: RuntimeApiServerOptions = {}): Promise<RuntimeApiServer> {
    const s = new RuntimeApiServer(opts);
    const host = opts.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      s.server.once("error", reject);
      s.server.listen(opts.port ?? 0, host, () => resolve());
    });
    const port = (s.server.address() as AddressInfo).port;
    const shown = opts.advertiseHost ?? (host === "0.0.0.0" ? "127.0.0.1" : host);
    s.address = `${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
    return s;
  }

  get inflight(): number {
    return this.queued.length + this.delivered.size;
  }

  /** False once the channel failed or closed. */
  get accepting(): boolean {
    return !this.closed && this.failure === undefined;
  }

  invoke(req: InstanceInvokeRequest): Promise<InstanceResult> {
    if (this.failure) return Promise.resolve(this.failure);
    if (this.closed) return Promise.resolve(CHANNEL_CLOSED_RESULT);
    if (this.delivered.has(req.requestId) || this.queued.some((q) => q.req.requestId === req.requestId)) {
      return Promise.resolve({ kind: "platform-error", code: "InternalError", message: `request id ${req.requestId} is already in flight on this instance` });
    }
    return new Promise<InstanceResult>((resolve) => {
      const inv: Invocation = { req, resolve };
      const waiter = this.takeWaiter();
      if (waiter) this.deliver(inv, waiter);
      else this.queued.push(inv);
    });
  }

  fail(result: InstanceResult, queuedResult: InstanceResult = result): void {
    this.failure ??= result;
    // Queued ones were never fetched by a /next: the runtime did not see them.
    for (const inv of this.queued) inv.resolve(queuedResult);
    for (const inv of this.delivered.values()) inv.resolve(result);
    this.queued.length = 0;
    this.delivered.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.readyD.reject(new ChannelClosedError("the runtime never asked for an invocation"));
    this.fail(this.failure ?? CHANNEL_CLOSED_RESULT);
    for (const res of this.waiting) res.destroy();
    this.waiting.length = 0;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Drop the long polls whose callers went away. */
  private pruneWaiting(): void {
    let kept = 0;
    for (const res of this.waiting) if (!res.destroyed && !res.writableEnded) this.waiting[kept++] = res;
    this.waiting.length = kept;
    this.pruneAt = Math.max(WAITING_PRUNE_AT, kept * 2);
  }

  private takeWaiter(): http.ServerResponse | undefined {
    while (this.waiting.length > 0) {
      const res = this.waiting.shift()!;
      if (!res.destroyed && !res.writableEnded) return res;
    }
    return undefined;
  }

  private deliver(inv: Invocation, res: http.ServerResponse): void {
    try {
      this.writeInvocation(inv, res);
    } catch (err) {
      // The invocation could not be written (nothing was sent): it fails alone, and this /next
      // caller waits for the next one instead of losing its connection.
      this.delivered.delete(inv.req.requestId);
      this.logError(`cannot deliver invocation ${inv.req.requestId}`, err);
      inv.resolve({ kind: "platform-error", code: "InternalError", message: "the invocation could not be delivered to the runtime" });
      if (res.headersSent || res.destroyed) return;
      const next = this.queued.shift();
      if (next) this.deliver(next, res);
      else this.waiting.unshift(res);
    }
  }

  private writeInvocation(inv: Invocation, res: http.ServerResponse): void {
    const { req } = inv;
    this.delivered.set(req.requestId, inv);
    // A flat name/value list: node writes it as it is, without enumerating an object's keys.
    const headers: string[] = [
      "Content-Type",
      "application/json",
      "Content-Length",
      String(req.payload.length),
      "Lambda-Runtime-Aws-Request-Id",
      req.requestId,
      "Lambda-Runtime-Deadline-Ms",
      String(Math.floor(req.deadlineMs)),
    ];
    if (this.opts.functionName) headers.push("Lambda-Runtime-Invoked-Function-Arn", invokedFunctionArn(this.opts.functionName, req.qualifier));
    if (req.traceparent) headers.push("Lambda-Runtime-Trace-Id", xrayTraceId(req.traceparent) ?? req.traceparent, "traceparent", req.traceparent);
    if (req.clientContext) {
      // Lambda passes the client context to the runtime decoded (JSON), not base64.
      const value = clientContextHeader(req.clientContext);
      if (value !== undefined) headers.push("Lambda-Runtime-Client-Context", value);
      else this.logError(`client context of ${req.requestId} dropped`, new Error("it holds characters no header can carry"));
    }
    res.writeHead(200, headers);
    res.end(req.payload);
  }

  /** Run `fn` so that nothing it throws leaves the listener: log it, answer 500, keep serving. */
  private guarded(req: http.IncomingMessage, res: http.ServerResponse, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logError(`${req.method} request failed`, err);
      try {
        if (res.headersSent) res.destroy();
        else sendJson(res, 500, { errorType: "InternalError", errorMessage: "internal error" });
      } catch {
        res.destroy();
      }
    }
  }

  private logError(what: string, err: unknown): void {
    const message = `hotswap runtime-api: ${what}: ${(err as Error)?.message ?? String(err)}`;
    try {
      if (this.opts.onError) this.opts.onError(message);
      else process.stderr.write(message + "\n");
    } catch {
      // a failing logger must not bring the server down either
    }
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? "";
    if (this.opts.allowedUid !== undefined && !this.fromAllowedUid(req)) {
      req.resume();
      res.writeHead(403, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(FORBIDDEN) });
      res.end(FORBIDDEN);
      return;
    }
    if (this.opts.allowedPeers) {
      if (!this.peers) {
        // The instance's address is not known yet: hold the request until it is.
        void this.opts.allowedPeers
          .catch(() => {})
          .then(() => this.guarded(req, res, () => this.routeFromPeer(req, res, url)));
        return;
      }
      const peer = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
      if (!this.peers.has(peer)) {
        req.resume();
        return sendJson(res, 403, { errorType: "Forbidden", errorMessage: `this Runtime API belongs to another instance; ${peer} may not use it` });
      }
    }
    this.routeFromPeer(req, res, url);
  }

  /** Whether the connection comes from the allowed uid; looked up once per connection. */
  private fromAllowedUid(req: http.IncomingMessage): boolean {
    const socket = req.socket;
    let ok = this.checkedSockets.get(socket);
    if (ok === undefined) {
      const uid = socket.remotePort !== undefined && socket.localPort !== undefined ? peerUid(socket.remotePort, socket.localPort) : undefined;
      ok = uid === this.opts.allowedUid;
      this.checkedSockets.set(socket, ok);
    }
    return ok;
  }

  private routeFromPeer(req: http.IncomingMessage, res: http.ServerResponse, url: string): void {
    if (!url.startsWith(PREFIX)) return sendJson(res, 404, { errorType: "NotFound", errorMessage: `no such path ${url}` });
    const q = url.indexOf("?", PREFIX.length);
    const path = q < 0 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, q);
    if (path === NEXT_PATH) {
      if (req.method !== "GET") return sendJson(res, 405, { errorType: "MethodNotAllowed", errorMessage: "use GET" });
      return this.next(req, res);
    }
    const m = invocationPath(path);
    if (!m && path !== "init/error") return sendJson(res, 404, { errorType: "NotFound", errorMessage: `no such path ${url}` });
    if (req.method !== "POST") return sendJson(res, 405, { errorType: "MethodNotAllowed", errorMessage: "use POST" });
    if (!m) return this.readBody(req, res, (body) => this.guarded(req, res, () => this.initError(req, res, body)));
    let id: string;
    try {
      id = decodeURIComponent(m[1]);
    } catch {
      return sendJson(res, 400, { errorType: "InvalidRequestID", errorMessage: "malformed request id" });
    }
    const kind = m[2];
    if (kind === "response" && req.headers[HEADER_RESPONSE_MODE] === "streaming") return this.streamResponse(req, res, id);
    this.readBody(req, res, (body, tooLarge) => this.guarded(req, res, () => {
      const inv = this.delivered.get(id);
      if (!inv) {
        return sendJson(res, 400, { errorType: "InvalidRequestID", errorMessage: `request id ${id} is unknown or already answered` });
      }
      this.delivered.delete(id);
      if (tooLarge !== undefined) {
        inv.resolve(responseTooLarge(tooLarge, this.maxPayload));
        return sendJson(res, 413, {
          errorType: "RequestEntityTooLarge",
          errorMessage: `Exceeded maximum allowed payload size (${this.maxPayload} bytes).`,
        });
      }
      if (kind === "response") inv.resolve({ kind: "success", payload: body });
      else inv.resolve({ kind: "function-error", payload: errorDocument(body, req.headers["lambda-runtime-function-error-type"] as string | undefined) });
      res.writeHead(202, ACCEPTED_HEADERS);
      res.end(ACCEPTED_BODY);
    }));
  }

  /**
   * A streamed `/response`: each piece goes to the invocation's sink (or is buffered) as it
   * arrives; the invocation stays delivered until the body ends, so an instance that dies
   * mid-stream fails it as any other.
   */
  private streamResponse(req: http.IncomingMessage, res: http.ServerResponse, id: string): void {
    const inv = this.delivered.get(id);
    if (!inv) {
      req.resume();
      return sendJson(res, 400, { errorType: "InvalidRequestID", errorMessage: `request id ${id} is unknown or already answered` });
    }
    const contentType = req.headers["content-type"] || DEFAULT_STREAM_CONTENT_TYPE;
    const sink = inv.req.stream;
    const stream = new ResponseStreamCollector(contentType, sink, sink ? MAX_STREAMED_RESPONSE_BYTES : this.maxPayload);
    let tooLarge = false;
    const current = () => this.delivered.get(id) === inv;
    req.on("data", (c: Buffer) => {
      if (tooLarge || !current()) return;
      const failed = stream.write(c);
      if (failed !== undefined) {
        tooLarge = true;
        this.delivered.delete(id);
        inv.resolve(failed);
      }
    });
    req.on("end", () =>
      this.guarded(req, res, () => {
        if (tooLarge) return sendJson(res, 413, { errorType: "RequestEntityTooLarge", errorMessage: `Exceeded maximum allowed response size.` });
        if (!current()) return sendJson(res, 400, { errorType: "InvalidRequestID", errorMessage: `request id ${id} is unknown or already answered` });
        this.delivered.delete(id);
        const errorType = req.trailers[TRAILER_ERROR_TYPE];
        if (errorType) {
          const body = req.trailers[TRAILER_ERROR_BODY];
          inv.resolve(stream.end(errorDocument(body ? Buffer.from(body, "base64") : Buffer.alloc(0), errorType)));
        } else inv.resolve(stream.end());
        sendJson(res, 202, { status: "OK" });
      }),
    );
    req.on("error", () => res.destroy());
  }

  private next(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.isReady) {
      this.isReady = true;
      this.readyD.resolve();
    }
    req.resume();
    if (this.closed) {
      res.destroy();
      return;
    }
    const inv = this.queued.shift();
    if (inv) return this.deliver(inv, res);
    // A /next whose caller goes away stays in `waiting` until takeWaiter() skips it (it checks
    // `destroyed`) or the list is pruned here; close() destroys what is left. No listener per long poll.
    if (this.waiting.length >= this.pruneAt) this.pruneWaiting();
    this.waiting.push(res);
  }

  private initError(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    if (this.isReady) {
      return sendJson(res, 403, { errorType: "InvalidStateTransition", errorMessage: "init/error after the first /next" });
    }
    const headerType = req.headers["lambda-runtime-function-error-type"] as string | undefined;
    this.readyD.reject(InitError.fromDocument(errorDocument(body, headerType || "Runtime.InitError")));
    sendJson(res, 202, { status: "OK" });
  }

  /** Read a body up to the payload limit; past it, drain and report the size instead. */
  private readBody(req: http.IncomingMessage, res: http.ServerResponse, done: (body: Buffer, tooLarge?: number) => void): void {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= this.maxPayload) parts.push(c);
    });
    req.on("end", () => {
      if (size > this.maxPayload) done(Buffer.alloc(0), size);
      else done(parts.length === 1 ? parts[0] : Buffer.concat(parts, size));
    });
    req.on("error", () => res.destroy());
  }
}
