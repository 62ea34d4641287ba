/**
 * The rate-limit stages: the caller's (per API key or JWT subject) right after authorization,
 * before the event is read; the function's once the qualifier is resolved (its limit travels in the
 * routing table's spec, so no database read), before an asynchronous invocation is queued. Both
 * answer 429 TooManyRequests with Retry-After (limits/request-limits.ts). When no limit applies
 * (the default) a stage passes the invocation on in the same turn, without a promise of its own.
 */
import type { InvokeOutcome } from "../../../protocol/invoke.ts";
import type { TokenRate } from "../../../shared/state/state-store.ts";
import type { RequestLimits } from "../limits/request-limits.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";

export class KeyRateLimitStage implements InvocationHandler {
  constructor(
    private readonly next: InvocationHandler,
    private readonly limits: RequestLimits,
  ) {}

  handle(inv: Invocation): Promise<InvokeOutcome | undefined> {
    const rate = this.limits.keyRate(inv.principal!);
    if (rate === undefined) return this.next.handle(inv);
    return this.admitted(inv, rate);
  }

  private async admitted(inv: Invocation, rate: TokenRate) {
    await this.limits.admitKey(inv.principal!, rate);
    return this.next.handle(inv);
  }
}

export class FunctionRateLimitStage implements InvocationHandler {
  constructor(
    private readonly next: InvocationHandler,
    private readonly limits: RequestLimits,
  ) {}

  handle(inv: Invocation): Promise<InvokeOutcome | undefined> {
    // (A dry run stops at the resolve stage, before this one: it takes nothing.)
    const rate = this.limits.functionRate(inv.spec!, inv.principal);
    if (rate === undefined) return this.next.handle(inv);
    return this.admitted(inv, rate);
  }

  private async admitted(inv: Invocation, rate: TokenRate) {
    await this.limits.admitFunction(inv.spec!.functionName, rate);
    return this.next.handle(inv);
  }
}
