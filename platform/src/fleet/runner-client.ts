/**
 * Typed client of one runner's HTTP API, over an undici keep-alive pool. One method per endpoint;
 * invocations go over the fleet channel instead when the runner takes it (runner-channel-client.ts).
 * invoke() never rejects: it says whether a failure happened before the request was written to
 * the socket (safe to send elsewhere) or after (the runner may have run it), which is what the
 * retry rule needs. It drives undici's dispatcher directly: the hot path has no stream objects.
 */
import { Pool, type Dispatcher } from "undici";
import type { InvokeOutcome, InvokeRequest, ResponseStreamSink } from "../../../protocol/invoke.ts";
import { HEADER_REPLY_FORMAT, HEADER_STREAM, REPLY_FRAMES, StreamedReplyReader } from "../../../protocol/fleet-stream.ts";
import { HEADER_REQUEST_ID, HEADER_TRACEPARENT } from "../../../protocol/headers.ts";
import {
  HEADER_CLIENT_CONTEXT,
  HEADER_CLUSTER_SECRET,
  HEADER_QUALIFIER,
  HEADER_LOG_TAIL,
  HEADER_SPEC,
  ProvisionResult,
  RUNNER_PATH_INVOKE,
  RUNNER_PATH_PREFETCH,
  RUNNER_PATH_PROVISION,
  RUNNER_PATH_RUNTIMES,
  decodeReply,
  type ProvisionRequest,
} from "../../../protocol/fleet.ts";
import type { RuntimeAvailability } from "../../../protocol/runner.ts";
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import { traceparentOf, type Tracer } from "../../../shared/tracing/spans.ts";
import { endHopSpan, startHopSpan } from "../tracing/hop-span.ts";
import { RunnerChannelClient } from "./runner-channel-client.ts";

export type ForwardResult =
  /** The runner answered. `free`/`inflight` are its placement data right after the invocation. */
  | { kind: "answered"; outcome: InvokeOutcome; free: number | undefined; inflight: number | undefined }
  /** Failed before the request was written (connection refused, reset or timed out while connecting): it never ran. */
  | { kind: "not-delivered"; error: Error }
  /** Failed after the request was written: the runner may have run it. */
  | { kind: "lost"; error: Error };

export type ClientResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface RunnerClientOptions {
  /** Keep-alive connections to this runner at most. @default 128 */
  connections?: number;
  /** Time to establish a connection before the runner counts as unreachable. @default 2000 */
  connectTimeoutMs?: number;
  /** When tracing is on: a CLIENT span per forward, whose traceparent the runner receives. */
  tracer?: Tracer;
  /** PEM of the CA that signed the runners' certificates (HOTSWAP_RUNNER_TLS_CA), for https:// runners. */
  ca?: Buffer;
  /** The name the runner's certificate must carry (HOTSWAP_RUNNER_TLS_SERVERNAME), when it is not the address's host. */
  servername?: string;
  /** Forward invocations over the fleet channel (the runner's heartbeat says it takes it). @default false */
  channel?: boolean;
}

/** The TLS options of a connection to a runner: its CA and the name its certificate is checked against. */
function tlsOf(opts: RunnerClientOptions): { ca?: Buffer; servername?: string } {
  return { ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.servername ? { servername: opts.servername } : {}) };
}

export class RunnerClient {
  private readonly pool: Pool;
  private readonly tracer: Tracer | undefined;
  private readonly channel: RunnerChannelClient | undefined;

  constructor(
    readonly address: string,
    private readonly secret: string,
    opts: RunnerClientOptions = {},
  ) {
    this.tracer = opts.tracer;
    if (opts.channel === true) this.channel = new RunnerChannelClient(address, secret, { connectTimeoutMs: opts.connectTimeoutMs ?? 2000, ...tlsOf(opts) });
    this.pool = new Pool(address, {
      connections: opts.connections ?? 128,
      pipelining: 1,
      // The runner keeps idle sockets for 65 s; closing ours first means a reused socket is never
      // one the runner is closing, which would look like a failure after delivery.
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 30_000,
      connect: { timeout: opts.connectTimeoutMs ?? 2000, noDelay: true, ...tlsOf(opts) },
    });
  }

  /**
   * Forward one invocation: over the fleet channel when this runner takes it, else as
   * `POST /v1/invoke` (either carries a streamed response to `req.stream`). `specHeader` is encodeSpec(req.spec), cached by the caller (HTTP only).
   */
  invoke(specHeader: string, req: InvokeRequest, timeoutMs: number): Promise<ForwardResult> {
    // Traced only within a trace: the platform's own invocations without a traceparent start none here.
    const span = this.tracer !== undefined && req.traceparent !== undefined ? startHopSpan(this.tracer, req, this.address) : undefined;
    const traceparent = span !== undefined ? traceparentOf(span) : req.traceparent;
    const channel = this.channel;
    const forwarded =
      channel !== undefined && channel.usable()
        ? channel.invoke(req, traceparent, timeoutMs, () => this.invokeOverHttp(specHeader, req, traceparent, timeoutMs))
        : this.invokeOverHttp(specHeader, req, traceparent, timeoutMs);
    return span === undefined ? forwarded : forwarded.then((r) => (endHopSpan(span, r), r));
  }

  private invokeOverHttp(specHeader: string, req: InvokeRequest, traceparent: string | undefined, timeoutMs: number): Promise<ForwardResult> {
    const headers: Record<string, string> = {
      [HEADER_CLUSTER_SECRET]: this.secret,
      [HEADER_SPEC]: specHeader,
      [HEADER_REQUEST_ID]: req.requestId,
      "content-type": "application/json",
    };
    if (traceparent !== undefined) headers[HEADER_TRACEPARENT] = traceparent;
    if (req.clientContext !== undefined) headers[HEADER_CLIENT_CONTEXT] = req.clientContext;
    if (req.qualifier !== undefined) headers[HEADER_QUALIFIER] = req.qualifier;
    if (req.logTail === true) headers[HEADER_LOG_TAIL] = "1";
    if (req.stream !== undefined) headers[HEADER_STREAM] = "1";
    return new Promise((resolve) => {
      this.pool.dispatch(
        { path: RUNNER_PATH_INVOKE, method: "POST", headers, body: req.payload, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
        new InvokeHandler(resolve, req.stream),
      );
    });
  }

  async provision(req: ProvisionRequest): Promise<ClientResult<ProvisionResult>> {
    return this.json(RUNNER_PATH_PROVISION, "POST", req, (v) => ProvisionResult.parse(v));
  }

  /** Have the runner ready a version's code (protocol/fleet.ts PrefetchRequest); ok once it is. */
  async prefetch(spec: FunctionSpec): Promise<ClientResult<void>> {
    return this.json(RUNNER_PATH_PREFETCH, "POST", { spec }, () => undefined);
  }

  async runtimes(): Promise<ClientResult<RuntimeAvailability[]>> {
    return this.json(RUNNER_PATH_RUNTIMES, "GET", undefined, (v) => (v as { runtimes: RuntimeAvailability[] }).runtimes);
  }

  close(): Promise<void> {
    this.channel?.close();
    return this.pool.destroy();
  }

  private async json<T>(path: string, method: "GET" | "POST", body: unknown, parse: (v: unknown) => T): Promise<ClientResult<T>> {
    try {
      const res = await this.pool.request({
        path,
        method,
        headers: { [HEADER_CLUSTER_SECRET]: this.secret, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) return { ok: false, error: `runner at ${this.address} answered ${res.statusCode}: ${text.slice(0, 500)}` };
      return { ok: true, value: parse(JSON.parse(text)) };
    } catch (e) {
      return { ok: false, error: `runner at ${this.address}: ${(e as Error).message}` };
    }
  }
}

/**
 * undici handler for one invocation. `onRequestSent` (called by undici once the request is
 * written to the socket) is what separates "never delivered" from "delivered, then lost".
 */
class InvokeHandler implements Dispatcher.DispatchHandler {
  private written = false;
  private status = 0;
  private rawHeaders: Buffer[] | undefined;
  private readonly chunks: Buffer[] = [];
  private settled = false;
  /** Set when the runner answered with a streamed reply (protocol/fleet-stream.ts). */
  private streamed: StreamedReplyReader | undefined;

  constructor(
    private readonly done: (r: ForwardResult) => void,
    private readonly sink?: ResponseStreamSink,
  ) {}

  onConnect(): void {}

  onRequestSent(): void {
    this.written = true;
  }

  onBodySent(): void {}

  onUpgrade(): void {}

  onResponseStarted(): void {}

  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    this.status = statusCode;
    this.rawHeaders = headers;
    if (this.sink !== undefined && statusCode === 200 && isStreamedReply(headers)) this.streamed = new StreamedReplyReader(this.sink);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.streamed === undefined) this.chunks.push(chunk);
    else {
      try {
        this.streamed.push(chunk);
      } catch (err) {
        this.onError(err as Error);
        return false;
      }
    }
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.streamed !== undefined) {
      const reply = this.streamed.finish();
      this.done({ kind: "answered", outcome: reply.outcome, free: reply.free, inflight: reply.inflight });
      return;
    }
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const reply = decodeReply(this.status, this.rawHeaders ?? [], body);
    this.done({ kind: "answered", outcome: reply.outcome, free: reply.free, inflight: reply.inflight });
  }

  onError(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.done({ kind: this.written ? "lost" : "not-delivered", error: err });
  }
}

/** Whether a reply's raw headers (name, value, …) say it is a streamed one. */
function isStreamedReply(raw: Buffer[]): boolean {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toString("latin1").toLowerCase() === HEADER_REPLY_FORMAT) return raw[i + 1]!.toString("latin1") === REPLY_FRAMES;
  }
  return false;
}
