/**
 * Stage 7, reserved concurrency: a function's cap on concurrent invocations across the fleet, 429
 * TooManyRequests beyond it. The counting (exact per replica, shared between replicas over the
 * state store's pub/sub) lives in fleet/reserved-concurrency.ts, a component with its own
 * lifecycle that server.ts composes; this stage only takes a slot before the rest of the chain
 * and gives it back after, so the cap applies to every way into a function.
 */
import type { FunctionSpec, InvokeOutcome } from "../../../protocol/invoke.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";

/** The slots a reserved-concurrency counter hands out (ReservedConcurrencyGate). */
export interface ConcurrencyReservations {
  admit(spec: FunctionSpec): InvokeOutcome | undefined;
  release(spec: FunctionSpec): void;
}

export class ReservedConcurrencyStage implements InvocationHandler {
  constructor(
    private readonly next: InvocationHandler,
    private readonly reservations: ConcurrencyReservations,
  ) {}

  handle(inv: Invocation) {
    const spec = inv.spec!;
    // Functions without a cap (nearly all) pass without a closure or a promise of their own.
    if (spec.reservedConcurrency === undefined) return this.next.handle(inv);
    const throttled = this.reservations.admit(spec);
    if (throttled) return Promise.resolve(throttled);
    return this.released(inv, spec);
  }

  private async released(inv: Invocation, spec: FunctionSpec) {
    try {
      return await this.next.handle(inv);
    } finally {
      this.reservations.release(spec);
    }
  }
}
