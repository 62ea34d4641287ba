/**
 * A leader lease for a duty whose only contender is this process: the embedded runner's capacity
 * planning (each `hotswap server --embedded-runner` plans for its own in-process runner, also when
 * replicas share a Redis, so their leases must not exclude each other). It is the same LeaderLease
 * as every other duty's, on a private in-process state store: it leads from start() with token 1,
 * planners consult it the same way, and its store goes away with stop().
 */
import { MemoryStateStore } from "../state/memory-state-store.ts";
import { LeaderLease, type LeaderLeaseOptions } from "./leader-lease.ts";

class ProcessLocalLease extends LeaderLease {
  constructor(
    private readonly own: MemoryStateStore,
    opts: LeaderLeaseOptions,
  ) {
    super(own, opts);
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.own.close();
  }
}

/** A lease only this process contends for, on its own in-process state. */
export function processLocalLease(opts: LeaderLeaseOptions): LeaderLease {
  return new ProcessLocalLease(new MemoryStateStore(), opts);
}
