/**
 * The invocation pipeline: the one chain every way into a function goes through, composed here and
 * only here, in the spirit of knative's queue-proxy handler chain:
 *
 *   request id → authenticate → authorize → key rate limit → reject malformed → event
 *     → resolve qualifier → function rate limit → enqueue (asynchronous invocations stop here)
 *     → reserved concurrency → observe → runner
 *
 * With tracing on, authenticate and resolve qualifier are each wrapped in a span (trace-step.ts).
 *
 * Each link is a small class in its own file with its own test. Links are wired once, at
 * construction, so a request allocates no closures, and links that answer synchronously (cached
 * API keys, the routing table) keep the whole front of the chain in the request's own turn.
 */
import type { InvokeOutcome } from "../../../protocol/invoke.ts";
import type { RunnerHandle } from "../../../protocol/runner.ts";
import type { Authenticator } from "../auth/authentication.ts";
import type { RoutingTable } from "../router/routing-table.ts";
import { AuthenticateStage } from "./authenticate.ts";
import { AuthorizeStage } from "./authorize.ts";
import { EnqueueStage, type EventQueue } from "./enqueue.ts";
import { EventStage } from "./event.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";
import { ObserveStage, type InvocationObserver } from "./observe.ts";
import { RejectMalformedStage } from "./reject-malformed.ts";
import { RequestIdStage } from "./request-id.ts";
import { ReservedConcurrencyStage, type ConcurrencyReservations } from "./reserved-concurrency.ts";
import { ResolveQualifierStage } from "./resolve-qualifier.ts";
import { RunnerCall } from "./runner-call.ts";
import { FunctionRateLimitStage, KeyRateLimitStage } from "./rate-limit.ts";
import type { RequestLimits } from "../limits/request-limits.ts";
import { TraceStepEnd, TraceStepStart } from "./trace-step.ts";

export interface InvocationPipelineDeps {
  routing: Pick<RoutingTable, "resolve">;
  /** The runner that executes (the embedded runner or the fleet). */
  runner: Pick<RunnerHandle, "invoke">;
  /** Reserved-concurrency slots; omit when nothing is capped (tests). */
  reservations?: ConcurrencyReservations;
  /** What sees each outcome (rollout windows, Prometheus, usage, traces), in order. */
  observers?: readonly InvocationObserver[];
  /** Told of an observer that threw (the stage contains it; the caller's answer is unchanged). */
  onObserverError?: (err: unknown) => void;
  /** Tried in order for invocations that arrive with credentials rather than a principal. */
  authenticators?: readonly Authenticator[];
  /** Compose the step spans (tracing on); invocations the front door traced then get them. */
  traced?: boolean;
  /** The async queue that takes InvocationType Event; without one, such requests are refused. */
  queue?: EventQueue;
  /** Rate limits per key and per function; omit for none (the platform's own entry). */
  limits?: RequestLimits;
}

export class InvocationPipeline implements InvocationHandler {
  private readonly head: InvocationHandler;

  constructor(private readonly deps: InvocationPipelineDeps) {
    let chain: InvocationHandler = new RunnerCall(deps.runner);
    chain = new ObserveStage(chain, deps.observers ?? [], deps.onObserverError);
    if (deps.reservations) chain = new ReservedConcurrencyStage(chain, deps.reservations);
    chain = new EnqueueStage(chain, deps.queue);
    if (deps.limits) chain = new FunctionRateLimitStage(chain, deps.limits);
    if (deps.traced) chain = new TraceStepEnd(chain, describeResolved);
    chain = new ResolveQualifierStage(chain, deps.routing);
    if (deps.traced) chain = new TraceStepStart(chain, "resolve qualifier");
    chain = new EventStage(chain);
    chain = new RejectMalformedStage(chain);
    if (deps.limits) chain = new KeyRateLimitStage(chain, deps.limits);
    chain = new AuthorizeStage(chain);
    if (deps.traced) chain = new TraceStepEnd(chain);
    chain = new AuthenticateStage(chain, deps.authenticators ?? []);
    if (deps.traced) chain = new TraceStepStart(chain, "authenticate");
    this.head = new RequestIdStage(chain);
  }

  /** Run an invocation through the whole chain: the runner's outcome, or undefined for a dry run or a queued (async) one. */
  handle(inv: Invocation): Promise<InvokeOutcome | undefined> {
    return this.head.handle(inv);
  }

  /** The same chain with another list of authenticators (the front door's, from auth-setup). */
  withAuthenticators(authenticators: readonly Authenticator[]): InvocationPipeline {
    return new InvocationPipeline({ ...this.deps, authenticators });
  }

  /** The same chain with rate limits per key and per function (the front door's, from server.ts). */
  withLimits(limits: RequestLimits): InvocationPipeline {
    return new InvocationPipeline({ ...this.deps, limits });
  }

  /** The same chain with the step spans composed when `traced` (tracing is on). */
  withTracing(traced: boolean): InvocationPipeline {
    return traced ? new InvocationPipeline({ ...this.deps, traced }) : this;
  }
}

/** The routing span's attributes: what was asked for and the version chosen. */
function describeResolved(inv: Invocation, span: { setAttribute(k: string, v: string | number): unknown }): void {
  span.setAttribute("hotswap.function", inv.name);
  if (inv.qualifier !== undefined) span.setAttribute("hotswap.qualifier", inv.qualifier);
  if (inv.spec) span.setAttribute("hotswap.version", inv.spec.version);
}
