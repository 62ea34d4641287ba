/**
 * The runner's room for instances (RUNNER_MAX_INSTANCES, RUNNER_MEMORY_MB), shared by all of its
 * version pools. A pool takes room before it starts an instance and gives it back when the
 * instance leaves scheduling. When the runner is full, the longest-idle instance of any version
 * that is not held by provisioning is evicted (least recently used first), so a busy runner
 * recycles idle capacity instead of refusing new versions.
 */
import type { InstanceBudget } from "../pool/pool-types.ts";
import type { VersionPool } from "../pool/version-pool.ts";

export interface RunnerCapacity {
  /** Live plus starting instances across all versions. */
  maxInstances: number;
  /** Sum of the memorySize of live plus starting instances, MB. */
  memoryMb: number;
}

export class RunnerBudget implements InstanceBudget {
  private instances = 0;
  private memory = 0;

  constructor(
    private readonly capacity: RunnerCapacity,
    private readonly pools: () => Iterable<VersionPool>,
  ) {}

  get usedInstances(): number {
    return this.instances;
  }

  get usedMemoryMb(): number {
    return this.memory;
  }

  tryAcquire(memoryMb: number, pool: VersionPool): boolean {
    // Each eviction frees one instance; stop once it fits or nothing is left to evict.
    while (!this.fits(memoryMb)) {
      if (!this.evictOne(pool)) return false;
    }
    this.instances++;
    this.memory += memoryMb;
    return true;
  }

  release(memoryMb: number): void {
    this.instances = Math.max(0, this.instances - 1);
    this.memory = Math.max(0, this.memory - memoryMb);
  }

  fullMessage(): string {
    const c = this.capacity;
    return (
      `runner is full (${this.instances} of ${c.maxInstances} instances, ${this.memory} of ${c.memoryMb} MB in use, none idle); ` +
      `add runners or raise RUNNER_MAX_INSTANCES / RUNNER_MEMORY_MB`
    );
  }

  private fits(memoryMb: number): boolean {
    return this.instances + 1 <= this.capacity.maxInstances && this.memory + memoryMb <= this.capacity.memoryMb;
  }

  /** Evict the longest-idle instance of another version (the requester would rather use its own idle one). */
  private evictOne(requester: VersionPool): boolean {
    let victim: VersionPool | undefined;
    let since = Infinity;
    for (const p of this.pools()) {
      if (p === requester) continue;
      const t = p.oldestIdleSince();
      if (t !== undefined && t < since) {
        since = t;
        victim = p;
      }
    }
    return victim !== undefined && victim.evictIdle();
  }
}
