/**
 * The runner agent's HTTP face, on node:http directly because every invocation crosses it:
 *   POST /v1/invoke      event bytes in, outcome headers + payload out (see protocol/fleet.ts)
 *   POST /v1/provision   keep N instances of a version initialised (the fleet leader's command)
 *   POST /v1/prefetch    ready a version's code before its first invocation (sent at publish)
 *   GET  /v1/status      the runner's current heartbeat
 *   GET  /v1/runtimes    what this runner's backend can run
 *   GET  /health         liveness/readiness for probes (no secret; 503 while draining)
 *   GET  /metrics        Prometheus metrics; the secret may come as `Authorization: Bearer`, as Prometheus sends it
 *   GET  /v1/channel     upgrade to the fleet channel: invocations multiplexed on one connection (runner-channel.ts)
 * Everything but /health needs the cluster secret, compared as sha256 digests in constant time.
 * Every listener is guarded: an unexpected error is a logged 500 and the runner keeps serving.
 */
import type { z } from "zod";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createHash, timingSafeEqual } from "node:crypto";
import type { FunctionSpec, InvokeOutcome, ResponseStreamSink } from "../../../protocol/invoke.ts";
import { FLEET_CHANNEL_PROTOCOL, RUNNER_PATH_CHANNEL, type ChannelInvokeFields } from "../../../protocol/fleet-channel.ts";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { HEADER_STREAM } from "../../../protocol/fleet-stream.ts";
import { StreamedReply } from "./streamed-reply.ts";
import { HEADER_REQUEST_ID, HEADER_TRACEPARENT } from "../../../protocol/headers.ts";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../protocol/limits.ts";
import {
  HEADER_CLIENT_CONTEXT,
  HEADER_QUALIFIER,
  HEADER_CLUSTER_SECRET,
  HEADER_LOG_TAIL,
  HEADER_RUNNER_FREE,
  HEADER_RUNNER_ID,
  HEADER_RUNNER_INFLIGHT,
  HEADER_SPEC,
  PrefetchRequest,
  ProvisionRequest,
  RUNNER_PATH_HEALTH,
  RUNNER_PATH_INVOKE,
  RUNNER_PATH_METRICS,
  RUNNER_PATH_PREFETCH,
  RUNNER_PATH_PROVISION,
  RUNNER_PATH_RUNTIMES,
  RUNNER_PATH_STATUS,
  decodeSpec,
  outcomeBody,
  outcomeHeaders,
  type RunnerHeartbeat,
} from "../../../protocol/fleet.ts";
import type { RunnerNode } from "../../../protocol/runner.ts";
import { endWithOutcome, traceparentOf, type Tracer } from "../../../shared/tracing/spans.ts";
import { startRunnerInvokeSpan } from "../tracing/server-span.ts";
import { RunnerChannelSession } from "./runner-channel.ts";

/**
 * What the server drives: the runner node (the same RunnerNode interface the embedded runner is
 * handed to the control plane by), plus the agent's heartbeat and readiness.
 */
export interface RunnerServerTarget extends Pick<RunnerNode, "invoke" | "freeSlots" | "runtimes" | "provision" | "prefetch"> {
  heartbeat(): RunnerHeartbeat;
  /** False while draining or stopped. */
  ready(): boolean;
}

export interface RunnerServerOptions {
  id: string;
  secret: string;
  target: RunnerServerTarget;
  log: { warn(obj: object, msg: string): void };
  /** A SERVER span per invocation when tracing is on. */
  tracer?: Tracer;
  /** GET /metrics: one scrape's exposition text; the route answers 404 when unset. */
  metrics?: () => Promise<{ contentType: string; text: string }>;
  /** Serve HTTPS with this PEM certificate and key (HOTSWAP_RUNNER_TLS_CERT/KEY). */
  tls?: { cert: Buffer; key: Buffer };
}

/** Decoded specs by header text: the control plane sends the same text for a version, so this hits. */
const SPEC_CACHE_MAX = 2048;
/** Slack over the 6 MB event limit for the JSON framing a caller may add. */
const MAX_BODY_BYTES = MAX_SYNC_PAYLOAD_BYTES + 64 * 1024;

export class RunnerServer {
  readonly server: Server;
  /** sha256 of the cluster secret: digests have one length whatever a caller sends. */
  private readonly secretDigest: Buffer;
  private readonly specs = new Map<string, FunctionSpec>();
  private readonly channels = new Set<RunnerChannelSession>();
  private inflight = 0;

  readonly log: RunnerServerOptions["log"];

  constructor(private readonly opts: RunnerServerOptions) {
    this.log = opts.log;
    this.secretDigest = sha256(Buffer.from(opts.secret, "utf8"));
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      try {
        this.handle(req, res);
      } catch (e) {
        this.unexpected(res, e);
      }
    };
    // node's https.Server is an http.Server that speaks TLS.
    this.server = opts.tls ? (createHttpsServer({ keepAlive: true, ...opts.tls }, listener) as unknown as Server) : createServer({ keepAlive: true }, listener);
    // Longer than the control plane's pool keeps idle sockets, so a reused socket is never one
    // the runner is closing at that moment (which would look like a failure after delivery).
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    this.server.requestTimeout = 0;
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        this.upgrade(req, socket, head);
      } catch (e) {
        this.opts.log.warn({ err: e }, "unexpected error in a channel upgrade");
        socket.destroy();
      }
    });
  }

  /** Free invocation slots of `spec`'s version right now (placement data for a reply). */
  freeSlots(spec: FunctionSpec): number {
    return this.opts.target.freeSlots(spec);
  }

  /** Invocations running through this server now. */
  get inflightCount(): number {
    return this.inflight;
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        const a = this.server.address() as { address: string; port: number };
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /** Stop accepting connections and close idle ones; in-flight requests finish, channels after theirs. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      for (const s of this.channels) s.close();
    });
  }

  /** Drop every connection now (after the drain). */
  closeAllConnections(): void {
    this.server.closeAllConnections();
    for (const s of this.channels) s.destroy();
  }

  /** `GET /v1/channel` with `Upgrade: hotswap-fleet/1`: the control plane's fleet channel (protocol/fleet-channel.ts). */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: string, message: string) => {
      socket.on("error", () => {});
      socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(message)}\r\nconnection: close\r\n\r\n${message}`);
    };
    if (req.url !== RUNNER_PATH_CHANNEL || req.headers.upgrade?.toLowerCase() !== FLEET_CHANNEL_PROTOCOL) {
      return refuse("404 Not Found", `no upgrade to ${String(req.headers.upgrade)} at ${req.url}: the fleet channel is ${FLEET_CHANNEL_PROTOCOL} at ${RUNNER_PATH_CHANNEL}`);
    }
    if (!this.authorised(req)) {
      return refuse("401 Unauthorized", `missing or wrong ${HEADER_CLUSTER_SECRET}: set the same HOTSWAP_CLUSTER_SECRET on the control plane and the runners`);
    }
    if (!this.server.listening) return refuse("503 Service Unavailable", "the runner is closing");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${FLEET_CHANNEL_PROTOCOL}\r\nconnection: Upgrade\r\n\r\n`);
    if ("setNoDelay" in socket) (socket as Socket).setNoDelay(true);
    if ("setKeepAlive" in socket) (socket as Socket).setKeepAlive(true, 10_000);
    const session = new RunnerChannelSession(socket, this, (s) => this.channels.delete(s));
    this.channels.add(session);
    if (head.length > 0) session.feed(head);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    if (url === RUNNER_PATH_HEALTH && req.method === "GET") return this.health(res);
    if (url === RUNNER_PATH_METRICS && req.method === "GET" && this.opts.metrics && (this.bearerAuthorised(req) || this.authorised(req))) {
      return this.metrics(res, this.opts.metrics);
    }
    if (!this.authorised(req)) {
      req.resume();
      return json(res, 401, { error: { code: "Unauthorized", message: `missing or wrong ${HEADER_CLUSTER_SECRET}: set the same HOTSWAP_CLUSTER_SECRET on the control plane and the runners` } });
    }
    if (url === RUNNER_PATH_INVOKE && req.method === "POST") return this.invoke(req, res);
    if (url === RUNNER_PATH_PROVISION && req.method === "POST") return void this.command(req, res, ProvisionRequest, (r) => this.opts.target.provision(r));
    if (url === RUNNER_PATH_PREFETCH && req.method === "POST") {
      return void this.command(req, res, PrefetchRequest, async (r) => {
        await this.opts.target.prefetch?.(r.spec);
        return { ready: true };
      });
    }
    if (url === RUNNER_PATH_STATUS && req.method === "GET") return json(res, 200, this.opts.target.heartbeat());
    if (url === RUNNER_PATH_RUNTIMES && req.method === "GET") {
      this.opts.target.runtimes().then(
        (runtimes) => json(res, 200, { runtimes }),
        (e: Error) => json(res, 500, { error: { code: "InternalError", message: e.message } }),
      );
      return;
    }
    req.resume();
    json(res, 404, { error: { code: "RouteNotFound", message: `no route for ${req.method} ${url}` } });
  }

  private authorised(req: IncomingMessage): boolean {
    const given = req.headers[HEADER_CLUSTER_SECRET];
    if (typeof given !== "string") return false;
    // node:http gives header bytes as latin1 text; as bytes again they hash to a fixed-length
    // digest, so no length or encoding of the header can make the comparison throw or leak.
    return timingSafeEqual(sha256(Buffer.from(given, "latin1")), this.secretDigest);
  }

  /** `Authorization: Bearer <cluster secret>`, the way Prometheus presents credentials. */
  private bearerAuthorised(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (typeof auth !== "string" || !/^bearer /i.test(auth)) return false;
    return timingSafeEqual(sha256(Buffer.from(auth.slice(7).trim(), "latin1")), this.secretDigest);
  }

  private metrics(res: ServerResponse, scrape: NonNullable<RunnerServerOptions["metrics"]>): void {
    scrape().then(
      ({ contentType, text }) => {
        res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
        res.end(text);
      },
      (e: unknown) => this.unexpected(res, e),
    );
  }

  /** The answer to an error nothing expected: logged, a generic 500, and the runner serves on. */
  private unexpected(res: ServerResponse, e: unknown): void {
    try {
      this.opts.log.warn({ err: e }, "unexpected error in a request");
      if (res.headersSent) return void res.destroy();
      json(res, 500, { error: { code: "InternalError", message: "An internal error occurred in the runner; see its log." } });
    } catch {
      res.destroy();
    }
  }

  private health(res: ServerResponse): void {
    const ready = this.opts.target.ready();
    json(res, ready ? 200 : 503, { status: ready ? "ok" : "draining", id: this.opts.id });
  }

  private invoke(req: IncomingMessage, res: ServerResponse): void {
    const header = req.headers[HEADER_SPEC];
    let spec: FunctionSpec | undefined;
    if (typeof header === "string") {
      spec = this.specs.get(header);
      if (spec === undefined) {
        try {
          spec = decodeSpec(header);
        } catch (e) {
          req.resume();
          return json(res, 400, { error: { code: "ValidationError", message: `invalid ${HEADER_SPEC}: ${(e as Error).message}` } });
        }
        if (this.specs.size >= SPEC_CACHE_MAX) this.specs.clear();
        this.specs.set(header, spec);
      }
    }
    if (spec === undefined) {
      req.resume();
      return json(res, 400, { error: { code: "ValidationError", message: `missing ${HEADER_SPEC}` } });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) {
        return json(res, 413, { error: { code: "PayloadTooLarge", message: `the event exceeds ${MAX_SYNC_PAYLOAD_BYTES} bytes` } });
      }
      const payload = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      try {
        this.run(spec, req, payload, res);
      } catch (e) {
        this.unexpected(res, e);
      }
    });
  }

  private run(spec: FunctionSpec, req: IncomingMessage, payload: Buffer, res: ServerResponse): void {
    const h = req.headers;
    const fields: ChannelInvokeFields = {
      requestId: (h[HEADER_REQUEST_ID] as string | undefined) ?? "",
      traceparent: h[HEADER_TRACEPARENT] as string | undefined,
      clientContext: h[HEADER_CLIENT_CONTEXT] as string | undefined,
      qualifier: h[HEADER_QUALIFIER] as string | undefined,
      ...(h[HEADER_LOG_TAIL] === "1" ? { logTail: true } : {}),
    };
    // Response streaming: a handler's bytes go out as they come when the control plane takes them.
    const streamed = h[HEADER_STREAM] === "1" ? new StreamedReply(res) : undefined;
    this.runInvocation(spec, fields, payload, (outcome) => {
      try {
        this.answer(spec, outcome, res, streamed);
      } catch (e) {
        this.unexpected(res, e);
      }
    }, (e) => this.unexpected(res, e), streamed);
  }

  /**
   * Run one invocation, whichever transport brought it (HTTP or the fleet channel): the in-flight
   * count, the SERVER span, then `done` with the outcome. `failed` only when the target broke its
   * contract (it never rejects); a synchronous throw propagates to the caller. `stream` receives a
   * streamed response as the handler writes it (either transport).
   */
  runInvocation(spec: FunctionSpec, fields: ChannelInvokeFields, payload: Buffer, done: (outcome: InvokeOutcome) => void, failed: (e: unknown) => void, stream?: ResponseStreamSink): void {
    this.inflight++;
    let traceparent = fields.traceparent;
    const span = this.opts.tracer ? startRunnerInvokeSpan(this.opts.tracer, traceparent, spec, fields.requestId, this.opts.id) : undefined;
    if (span) traceparent = traceparentOf(span);
    let running: Promise<InvokeOutcome>;
    try {
      running = this.opts.target.invoke({
        spec,
        requestId: fields.requestId,
        payload,
        traceparent,
        clientContext: fields.clientContext,
        qualifier: fields.qualifier,
        ...(fields.logTail === true ? { logTail: true } : {}),
        ...(stream !== undefined ? { stream } : {}),
      });
    } catch (e) {
      this.inflight--;
      span?.end();
      throw e;
    }
    running.then(
      (outcome) => {
        this.inflight--;
        if (span) endWithOutcome(span, outcome);
        done(outcome);
      },
      (e: unknown) => {
        // invoke() never rejects by contract; answer anyway so the caller is never left hanging.
        this.inflight--;
        span?.end();
        failed(e);
      },
    );
  }

  /** The outcome as the fleet protocol's headers and the payload, in one write. */
  private answer(spec: FunctionSpec, outcome: Awaited<ReturnType<RunnerServerTarget["invoke"]>>, res: ServerResponse, streamed?: StreamedReply): void {
    const body = outcomeBody(outcome);
    const headers: Record<string, string | number> = outcomeHeaders(outcome);
    headers[HEADER_RUNNER_FREE] = this.opts.target.freeSlots(spec);
    headers[HEADER_RUNNER_INFLIGHT] = this.inflight;
    headers[HEADER_RUNNER_ID] = this.opts.id;
    if (streamed?.begun) return streamed.end(headers, body);
    headers["content-length"] = body.length;
    res.writeHead(200, headers);
    res.end(body);
  }

  /** A JSON command (provision, prefetch): the body checked against `schema`, `run`'s value as the 200 answer, its error as a 500. */
  private async command<T>(req: IncomingMessage, res: ServerResponse, schema: z.ZodType<T>, run: (body: T) => Promise<unknown>): Promise<void> {
    try {
      await this.runCommand(req, res, schema, run);
    } catch (e) {
      this.unexpected(res, e);
    }
  }

  private async runCommand<T>(req: IncomingMessage, res: ServerResponse, schema: z.ZodType<T>, run: (body: T) => Promise<unknown>): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse((await readAll(req, 1024 * 1024)).toString("utf8"));
    } catch (e) {
      return json(res, 400, { error: { code: "ValidationError", message: `the body must be JSON: ${(e as Error).message}` } });
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      return json(res, 400, { error: { code: "ValidationError", message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") } });
    }
    try {
      json(res, 200, await run(parsed.data));
    } catch (e) {
      json(res, 500, { error: { code: "InternalError", message: (e as Error).message } });
    }
  }
}

function readAll(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error(`body larger than ${limit} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sha256(bytes: Buffer): Buffer {
  return createHash("sha256").update(bytes).digest();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
