/**
 * The request object every way into a function builds (the HTTP invoke path, the Lambda path;
 * triggers, the async queue, the console and the CLI next) and hands to the invocation pipeline.
 * Nothing here is HTTP: an HTTP entry supplies credentials and a payload source; an internal
 * entry supplies a principal and the payload. Stages fill in the rest as the chain runs.
 */
import type { FunctionSpec, InvokeOutcome, ResponseStreamSink } from "../../../protocol/invoke.ts";
import type { CredentialRequest } from "../auth/credentials.ts";
import type { Principal } from "../auth/principal.ts";
import type { RouteRequest } from "../router/routing-table.ts";
import type { InvocationTrace } from "../tracing/invocation-trace.ts";

/** Where an entry's event bytes come from when it did not read them up front (the HTTP body). */
export interface PayloadSource {
  /** The event, bounded by the synchronous-payload limit (rejects with PayloadTooLarge). */
  readPayload(): Promise<Buffer>;
}

export interface Invocation {
  /** The caller's request id, or "" for the request-id stage to assign one. */
  requestId: string;
  /** What the authenticate stage reads; absent for entries that come with a principal. */
  credentials?: CredentialRequest;
  /** Who is invoking: set by an internal entry, or by the authenticate stage. */
  principal?: Principal;
  /** Set by the authorize stage once the principal may invoke this function. */
  authorized?: boolean;
  /** The function's name, as the entry read it. */
  name: string;
  /** A version number, an alias or $LATEST; absent: alias `live` if it exists, else $LATEST. */
  qualifier?: string;
  /**
   * What the entry found wrong with the request's shape (a malformed name or qualifier...), raised
   * only after authorization, so an unauthenticated caller learns nothing about its request.
   */
  rejection?: Error;
  /** The event bytes; read from `source` by the event stage when absent. */
  payload?: Buffer;
  source?: PayloadSource;
  /** Resolve only, never run (Lambda's DryRun): the event is neither read nor checked. */
  dryRun?: boolean;
  /**
   * Queue instead of run (Lambda's InvocationType Event): the event is checked against the 256 KB
   * asynchronous limit and queued once resolved; `source` is `async` or the trigger's id;
   * `recorded` when the caller already wrote the Queued record; `resume` when the same request id
   * may have been enqueued before by a process that died (a scheduled tick): queued again while its
   * record is still Queued.
   */
  async?: { source: string; recorded?: boolean; resume?: boolean };
  /** Headers, cookies and query of the request, for aliases with an A/B rule. */
  route?: RouteRequest;
  /** The trace context the runner and the handler receive (the front door's server span when traced). */
  traceparent?: string;
  /** Set by the front door when tracing is on: the pipeline's steps add their spans under it. */
  trace?: InvocationTrace;
  clientContext?: string;
  /** Return the tail of the invocation's log in the outcome (Lambda's `LogType: Tail`). */
  logTail?: boolean;
  /**
   * Where a streaming handler's bytes go while it runs (the entry's chunked or event-stream
   * answer); absent, they are buffered into the outcome. The outcome still comes at the end, so
   * every stage (observe included) sees the invocation once it is over.
   */
  stream?: ResponseStreamSink;
  /** The version chosen by the resolve stage. */
  spec?: FunctionSpec;
  /** Set by the resolve stage: the alias, version or $LATEST the caller reached it through (InvokeRequest.qualifier). */
  invokedQualifier?: string;
}

/**
 * One link of the chain. It does its part and hands the invocation to the next link (fixed when
 * the chain is composed, so a request allocates no closures). The outcome is the runner's;
 * undefined for a dry run. Failures before the runner (auth, validation, resolution) are ApiErrors,
 * thrown or rejected: callers await `handle` inside their try, which catches both.
 */
export interface InvocationHandler {
  handle(inv: Invocation): Promise<InvokeOutcome | undefined>;
}
