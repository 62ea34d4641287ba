/**
 * reservedConcurrency: a cap on a function's concurrent invocations across the fleet, 429
 * (TooManyRequests) beyond it. It works the same with the embedded runner and with the fleet: the
 * invocation pipeline's reserved-concurrency stage takes and gives back slots (`admit`/`release`),
 * and as a RunnerHandle decorator it guards any other caller of the runner the same way.
 *
 * The count is exact within one control plane. Replicas share their counts of capped functions on
 * the state store's pub/sub (on change, at most every 20 ms, and every 500 ms while non-zero), so
 * nothing touches Redis per invocation and a crashed replica's count simply stops being heard
 * after 1.5 s. Across replicas the cap is therefore enforced on counts at most ~20 ms old.
 */
import { randomUUID } from "node:crypto";
import type { FunctionSpec, InvokeOutcome, InvokeRequest } from "../../../protocol/invoke.ts";
import { INFLIGHT_CHANNEL } from "../../../protocol/fleet.ts";
import type { RunnerHandle, RunnerStatus, RuntimeAvailability } from "../../../protocol/runner.ts";
import type { StateStore, Unsubscribe } from "../../../shared/state/state-store.ts";

const PUBLISH_MIN_GAP_MS = 20;
const REFRESH_MS = 500;
const STALE_MS = 1500;

interface ReplicaCounts {
  counts: Record<string, number>;
  at: number;
}

export class ReservedConcurrencyGate implements RunnerHandle {
  private readonly replica = randomUUID();
  private readonly local = new Map<string, number>();
  private readonly others = new Map<string, ReplicaCounts>();
  private unsubscribe: Unsubscribe | undefined;
  private publishTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastPublish = 0;

  constructor(
    private readonly inner: RunnerHandle,
    /** Omit for a single control plane (embedded mode): counts stay local. */
    private readonly shared?: { state: StateStore; onError?: (e: unknown) => void },
  ) {}

  async start(): Promise<void> {
    if (!this.shared) return;
    this.unsubscribe = await this.shared.state.subscribe(INFLIGHT_CHANNEL, (text) => this.onMessage(text));
    this.refreshTimer = setInterval(() => {
      if ([...this.local.values()].some((n) => n > 0)) this.schedulePublish();
    }, REFRESH_MS);
    this.refreshTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.refreshTimer);
    clearTimeout(this.publishTimer);
    await this.unsubscribe?.();
  }

  invoke(req: InvokeRequest): Promise<InvokeOutcome> {
    const throttled = this.admit(req.spec);
    if (throttled) return Promise.resolve(throttled);
    if (req.spec.reservedConcurrency === undefined) return this.inner.invoke(req);
    return this.inner.invoke(req).finally(() => this.release(req.spec));
  }

  /**
   * Take one of the function's reserved slots: undefined when it has one (or no cap), else the
   * TooManyRequests outcome to answer with. Every admitted capped invocation must be `release`d.
   * The invocation pipeline's reserved-concurrency stage calls these two around the runner.
   */
  admit(spec: FunctionSpec): InvokeOutcome | undefined {
    const cap = spec.reservedConcurrency;
    if (cap === undefined) return undefined;
    const name = spec.functionName;
    const mine = this.local.get(name) ?? 0;
    if (mine + this.elsewhere(name) >= cap) return throttled(spec, cap);
    this.local.set(name, mine + 1);
    this.changed();
    return undefined;
  }

  /** Give back the slot `admit` took (a no-op for functions without a cap). */
  release(spec: FunctionSpec): void {
    if (spec.reservedConcurrency === undefined) return;
    const name = spec.functionName;
    const n = (this.local.get(name) ?? 1) - 1;
    if (n <= 0) this.local.delete(name);
    else this.local.set(name, n);
    this.changed();
  }

  /** The runner this gate guards: the pipeline calls it directly after its own reservation. */
  get runner(): RunnerHandle {
    return this.inner;
  }

  /** Invocations of `name` in flight through this replica's gate. */
  inflight(name: string): number {
    return this.local.get(name) ?? 0;
  }

  status(): RunnerStatus {
    return this.inner.status();
  }

  prewarm(spec: FunctionSpec, count: number): Promise<number> {
    return this.inner.prewarm(spec, count);
  }

  async prefetch(spec: FunctionSpec): Promise<void> {
    await this.inner.prefetch?.(spec);
  }

  runtimes(): Promise<RuntimeAvailability[]> {
    return this.inner.runtimes();
  }

  healthCheck(): Promise<void> {
    return this.inner.healthCheck();
  }

  drain(): Promise<void> {
    return this.inner.drain();
  }

  private elsewhere(name: string): number {
    if (this.others.size === 0) return 0;
    const now = Date.now();
    let n = 0;
    for (const [id, r] of this.others) {
      if (now - r.at > STALE_MS) this.others.delete(id);
      else n += r.counts[name] ?? 0;
    }
    return n;
  }

  private changed(): void {
    if (this.shared) this.schedulePublish();
  }

  private schedulePublish(): void {
    if (this.publishTimer !== undefined) return;
    const wait = Math.max(0, this.lastPublish + PUBLISH_MIN_GAP_MS - Date.now());
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      this.lastPublish = Date.now();
      const msg = JSON.stringify({ replica: this.replica, counts: Object.fromEntries(this.local) });
      this.shared!.state.publish(INFLIGHT_CHANNEL, msg).catch((e) => this.shared!.onError?.(e));
    }, wait);
    this.publishTimer.unref();
  }

  private onMessage(text: string): void {
    try {
      const m = JSON.parse(text) as { replica: string; counts: Record<string, number> };
      if (m.replica === this.replica) return;
      this.others.set(m.replica, { counts: m.counts, at: Date.now() });
    } catch {
      // Not ours to fail on: a malformed message only means that replica is not counted.
    }
  }
}

function throttled(spec: FunctionSpec, cap: number): InvokeOutcome {
  const message =
    cap === 0
      ? `function "${spec.functionName}" has reservedConcurrency 0, which throttles every invocation; raise it (PUT /api/v1/functions/${spec.functionName}) to run it`
      : `function "${spec.functionName}" is at its reservedConcurrency (${cap} concurrent invocations across the fleet); retry later or raise reservedConcurrency`;
  return { kind: "platform-error", code: "TooManyRequests", message };
}
