/**
 * The instances of one function version on one runner (keyed by specKey) and the scheduling
 * that feeds them: warm reuse, cold starts sized to the burst, a bounded FIFO queue at the
 * instance cap, timeouts that kill, crash removal, idle scale-to-zero, drain and close.
 *
 * The warm path is deliberately short (one scan of this version's instances, then
 * instance.invoke); everything else lives on the slow path.
 */
import type { FunctionSpec, InvokeOutcome, InvokeRequest, StartKind } from "../../../protocol/invoke.ts";
import { specKey } from "../../../protocol/invoke.ts";
import { InitError, type ExitInfo, type InitializationType, type Instance } from "../backends/backend.ts";
import { launchInstance } from "./launch-instance.ts";
import {
  CLOSED_MESSAGE,
  DRAINING_MESSAGE,
  collateralMessage,
  describe,
  platformError,
  queueFullMessage,
  queueTimeoutMessage,
  startFailure,
  timeoutMessage,
  toOutcome,
  type PlatformErrorOutcome,
} from "./outcomes.ts";
import type { PoolLog, VersionPoolOptions, VersionPoolStats } from "./pool-types.ts";
import { WaitQueue, type Waiter } from "./wait-queue.ts";
import { Deadlines } from "./deadlines.ts";
import { traceIdOf } from "../../../shared/tracing/traceparent.ts";
import { closeLog } from "./invocation-framing.ts";

export type { InstanceBudget, PoolLog, StemSource, VersionPoolOptions, VersionPoolStats } from "./pool-types.ts";

interface Slot {
  instance: Instance;
  kind: "fresh" | "stem";
  /** Milliseconds the start (or specialisation) took. */
  initMs: number;
  inflight: number;
  /** Date.now() when inflight last dropped to 0. */
  idleSince: number;
  removed: boolean;
  /** Set when the pool killed the instance because one of its invocations timed out. */
  killedForTimeout: boolean;
}

type PoolState = "open" | "draining" | "drained" | "closed";

/** An invocation in flight, as its deadline sees it. */
interface Running {
  slot: Slot;
  requestId: string;
  /** The invocation's trace context, so what is logged about it carries its trace id. */
  traceparent: string | undefined;
  /** Set when its deadline passed: the instance is killed, and this invocation is the one that timed out. */
  timedOut: boolean;
}

const NOOP_LOG: PoolLog = { debug() {}, info() {}, warn() {} };

/**
 * How often one invocation may be handed to another instance because the one it went to was
 * already going away and never received it. Each try needs a new instance, so this only bounds a
 * version whose instances all die at once.
 */
const MAX_REDELIVERIES = 2;

export class VersionPool {
  readonly key: string;
  /** True once the pool was emptied and handed back through onEmpty, or closed: take no more work. */
  retired = false;
  private spec: FunctionSpec;
  private timeoutMs: number;
  private state: PoolState = "open";
  private readonly slots: Slot[] = [];
  private readonly waiters: WaitQueue;
  /** Deadlines of the invocations in flight: one timer for the pool, not one per invocation. */
  /** Invocations handed on after an instance that was going away refused them, with their count. */
  private readonly redeliveries = new WeakMap<InvokeRequest, number>();
  private readonly deadlines = new Deadlines<Running>((r) => {
    r.timedOut = true;
    this.onTimeout(r.slot, r.requestId, r.traceparent);
  });
  private starting = 0;
  private inflight = 0;
  private initError: { outcome: PlatformErrorOutcome; until: number } | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly pendingStarts = new Set<Promise<unknown>>();
  /** Instances out of scheduling that are being stopped or killed, until they exit. */
  private readonly stopping = new Set<Instance>();
  private drained: Promise<void> | undefined;
  private resolveDrained: (() => void) | undefined;
  private readonly log: PoolLog;
  private readonly initErrorCacheMs: number;
  private readonly stopGraceMs: number;
  /** Memory each instance holds from the runner's budget (a version's memorySize never changes). */
  private readonly memoryMb: number;

  constructor(private readonly opts: VersionPoolOptions) {
    this.spec = opts.spec;
    this.key = specKey(opts.spec);
    this.timeoutMs = opts.spec.timeout * 1000;
    this.log = opts.log ?? NOOP_LOG;
    this.initErrorCacheMs = opts.initErrorCacheMs ?? 2000;
    this.stopGraceMs = opts.stopGraceMs ?? 2000;
    this.memoryMb = opts.spec.memorySize;
    this.waiters = new WaitQueue(opts.queueTimeoutMs, this.onWaitExpired, () => this.checkDrained());
  }

  get functionName(): string {
    return this.spec.functionName;
  }

  get version(): number {
    return this.spec.version;
  }

  /** The layer code shas of this version, in merge order (empty without layers). */
  get layerShas(): string[] {
    return (this.spec.layers ?? []).map((l) => l.codeSha256);
  }

  /** Run one invocation on a warm instance, a new one, or after waiting in the queue. Never rejects. */
  invoke(req: InvokeRequest): Promise<InvokeOutcome> {
    if (this.state !== "open") return Promise.resolve(this.refusal());
    const slot = this.pickSlot();
    if (slot !== undefined) return this.run(slot, req, "warm", false, 0);
    this.opts.tracer?.arrived(req);
    return this.acquireSlow(req);
  }

  /**
   * Start instances until `count` are live or starting (at most the cap), wait for those starts,
   * and resolve with the live instance count. A start that fails is not retried.
   */
  async prewarm(count: number, opts: { touch?: boolean } = {}): Promise<number> {
    if (this.state !== "open") return 0;
    const target = Math.min(count, this.cap());
    if (opts.touch) {
      // A keep-warm ping: idle instances start a new idle period, as if they had just served.
      const now = Date.now();
      for (const s of this.slots) if (s.inflight === 0) s.idleSince = now;
    }
    // Instances a hold (provisioned concurrency, a scheduled minimum) starts ahead of demand say so.
    const initType = (this.opts.floor?.() ?? 0) > 0 ? "provisioned-concurrency" : "on-demand";
    while (this.slots.length + this.starting < target && this.freshInitError() === undefined && this.reserveStart()) this.startInstance(initType);
    await Promise.all([...this.pendingStarts]);
    return this.slots.length;
  }

  /**
   * Stop this version's longest-idle instance to make room for another version on a full runner.
   * False when none is idle, or every live instance is held (floor).
   */
  evictIdle(): boolean {
    const victim = this.state === "open" ? this.evictable() : undefined;
    if (victim === undefined) return false;
    this.removeSlot(victim);
    this.log.debug({ pool: this.key, instance: victim.instance.id }, "evicting idle instance for another version");
    void this.stopInstance(victim.instance);
    this.scheduleSweep();
    return true;
  }

  /** When this pool's evictable instance went idle (Date.now() ms), or undefined when it has none. */
  oldestIdleSince(): number | undefined {
    return this.state === "open" ? this.evictable()?.idleSince : undefined;
  }

  stats(): VersionPoolStats {
    let warmIdle = 0;
    const conc = this.spec.instanceConcurrency;
    for (const s of this.slots) if (s.inflight < conc && s.instance.alive) warmIdle++;
    return {
      key: this.key,
      instances: this.slots.length,
      starting: this.starting,
      warmIdle,
      inflight: this.inflight,
      queued: this.waiters.length,
      freeSlots: this.freeSlots(),
      // A hold asks for up to its count; this version never holds more than its cap.
      held: Math.min(this.opts.floor?.() ?? 0, this.cap()),
    };
  }

  /** Invocations this version can take right now without waiting or starting an instance. */
  freeSlots(): number {
    const conc = this.spec.instanceConcurrency;
    let free = 0;
    for (const s of this.slots) if (s.instance.alive && s.inflight < conc) free += conc - s.inflight;
    return free;
  }

  /** Stop taking new work, let in-flight and queued invocations finish, then stop every instance. */
  drain(): Promise<void> {
    if (this.state === "closed") return this.close();
    if (this.state === "open") this.state = "draining";
    this.drained ??= new Promise<void>((resolve) => (this.resolveDrained = resolve));
    this.checkDrained();
    return this.drained;
  }

  /** Kill every instance now; queued invocations get ServiceUnavailable. Resolves when all have exited. */
  async close(): Promise<void> {
    if (this.state !== "closed") {
      this.state = "closed";
      this.retired = true;
      this.clearSweep();
      this.waiters.settleAll(platformError("ServiceUnavailable", CLOSED_MESSAGE));
      for (const s of this.slots.splice(0)) {
        s.removed = true;
        this.releaseBudget();
        this.stopping.add(s.instance);
      }
      for (const instance of this.stopping) instance.kill("killed");
    }
    // Starts in progress kill their instance when they land (see onStarted) and wait for its exit.
    await Promise.all([...this.pendingStarts, ...[...this.stopping].map((i) => i.exited)]);
    this.resolveDrained?.();
  }

  // ---- scheduling -------------------------------------------------------------------------

  /** The least loaded live instance with spare capacity; ties go to the most recently busy, so spare instances age out. */
  private pickSlot(): Slot | undefined {
    const slots = this.slots;
    const conc = this.spec.instanceConcurrency;
    let best: Slot | undefined;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      if (s.inflight >= conc || !s.instance.alive) continue;
      if (best === undefined || s.inflight < best.inflight || (s.inflight === best.inflight && s.idleSince > best.idleSince)) {
        best = s;
      }
    }
    return best;
  }

  private acquireSlow(req: InvokeRequest): Promise<InvokeOutcome> {
    if (req.spec !== this.spec) this.adopt(req.spec);
    const covered = this.starting * this.spec.instanceConcurrency;
    // Waiters up to `covered` are already waiting for instances that are starting.
    if (this.waiters.length >= covered) {
      const cached = this.freshInitError();
      if (cached !== undefined) {
        if (this.slots.length === 0 && this.starting === 0) return Promise.resolve({ ...cached });
      } else if (this.reserveStart()) {
        this.startInstance();
        return this.waiters.add(req);
      } else if (this.slots.length === 0 && this.starting === 0) {
        // No instance of this version here and no room for one on this runner: another runner may have room.
        return Promise.resolve({ ...platformError("TooManyRequests", this.opts.budget!.fullMessage()), refused: true });
      }
      if (this.waiters.length - covered >= this.opts.queueSize) {
        return Promise.resolve(platformError("TooManyRequests", queueFullMessage(this.spec, this.cap(), this.opts.queueSize)));
      }
    }
    return this.waiters.add(req);
  }

  /** Same version, possibly newer function-level settings (maxInstances): the latest spec wins. */
  private adopt(spec: FunctionSpec): void {
    this.spec = spec;
    this.timeoutMs = spec.timeout * 1000;
  }

  /**
   * The function's maxInstances may lower the runner's per-version cap, never raise it: the
   * operator's RUNNER_MAX_INSTANCES_PER_VERSION bounds what any one function can take.
   */
  private cap(): number {
    const own = this.spec.maxInstances;
    return own === undefined ? this.opts.maxInstances : Math.min(own, this.opts.maxInstances);
  }

  /** Room for one more instance: under this version's cap and the runner's budget (taken when true). */
  private reserveStart(): boolean {
    if (this.slots.length + this.starting >= this.cap()) return false;
    return this.opts.budget === undefined || this.opts.budget.tryAcquire(this.memoryMb, this);
  }

  private releaseBudget(): void {
    this.opts.budget?.release(this.memoryMb);
  }

  /** The function's idle timeout when it sets one, else the runner's. */
  private idleMs(): number {
    return this.spec.idleTimeout !== undefined ? this.spec.idleTimeout * 1000 : this.opts.idleTimeoutMs;
  }

  /** The longest-idle instance, when stopping one would not go below the floor. */
  private evictable(): Slot | undefined {
    if (this.slots.length <= (this.opts.floor?.() ?? 0)) return undefined;
    let victim: Slot | undefined;
    for (const s of this.slots) if (s.inflight === 0 && (victim === undefined || s.idleSince < victim.idleSince)) victim = s;
    return victim;
  }

  private freshInitError(): PlatformErrorOutcome | undefined {
    if (this.initError === undefined) return undefined;
    if (Date.now() < this.initError.until) return this.initError.outcome;
    this.initError = undefined;
    return undefined;
  }

  /** A waiter still covered by an instance that is starting waits for that start, not the queue timer. */
  private readonly onWaitExpired = (w: Waiter, position: number): InvokeOutcome | undefined => {
    if (position < this.starting * this.spec.instanceConcurrency) return undefined;
    return platformError("TooManyRequests", queueTimeoutMessage(this.spec, this.cap(), Date.now() - w.enqueuedAt));
  };

  /** Run the head waiter on `slot`. */
  private dispatch(slot: Slot, start: StartKind, coldStart: boolean, initMs: number): void {
    const w = this.waiters.shift()!;
    w.resolve(this.run(slot, w.req, start, coldStart, initMs));
  }

  /** Hand waiting invocations to free slots, then start instances for any backlog still uncovered. */
  private pump(): void {
    while (this.waiters.length !== 0) {
      const slot = this.pickSlot();
      if (slot === undefined) break;
      this.dispatch(slot, "warm", false, 0);
    }
    if (this.state === "open" || this.state === "draining") {
      const conc = this.spec.instanceConcurrency;
      while (this.waiters.length > this.starting * conc && this.freshInitError() === undefined && this.reserveStart()) {
        this.startInstance();
      }
    }
    this.checkDrained();
  }

  // ---- running ----------------------------------------------------------------------------

  private run(slot: Slot, req: InvokeRequest, start: StartKind, coldStart: boolean, initMs: number): Promise<InvokeOutcome> {
    slot.inflight++;
    this.inflight++;
    const t0 = performance.now();
    const deadlineMs = Date.now() + this.timeoutMs;
    const running: Running = { slot, requestId: req.requestId, traceparent: req.traceparent, timedOut: false };
    const due = this.deadlines.add(running, deadlineMs);
    const traced = this.opts.tracer?.running(req, this.spec, start, coldStart, initMs, slot.kind);
    // START now, so the handler's lines follow it; an instance already going away gets none.
    const log = slot.instance.alive ? slot.instance.log?.begin(req.requestId, { tail: req.logTail === true }) : undefined;
    const p = slot.instance.invoke({
      requestId: req.requestId,
      payload: req.payload,
      deadlineMs,
      traceparent: traced?.traceparent ?? req.traceparent,
      clientContext: req.clientContext,
      qualifier: req.qualifier,
      stream: req.stream,
    });
    const outcome: Promise<InvokeOutcome> = p.then(
      (r) => {
        this.deadlines.remove(due);
        this.release(slot);
        if (r.kind === "platform-error" && r.undelivered === true && !slot.killedForTimeout) {
          // The instance was already going away (say, an uncaught exception after its last answer)
          // and never saw this invocation: Lambda would run it on a new instance, and so do we.
          const redelivered = this.redeliver(req);
          if (redelivered !== undefined) {
            log?.abandon();
            return redelivered;
          }
        }
        const handlerMs = performance.now() - t0;
        const durationMs = handlerMs + initMs;
        let outcome: InvokeOutcome;
        if (r.kind === "platform-error" && slot.killedForTimeout) {
          // Only the invocation that ran out of time timed out; others sharing the instance lost it.
          outcome = running.timedOut
            ? { kind: "platform-error", code: "TimeoutError", message: timeoutMessage(this.spec), coldStart, start, durationMs }
            : { kind: "platform-error", code: "InstanceCrashed", message: collateralMessage(this.spec), coldStart, start, durationMs };
        } else {
          outcome = toOutcome(r, coldStart, start, durationMs);
        }
        return log === undefined ? outcome : closeLog(log, outcome, handlerMs, coldStart ? initMs : undefined, req.logTail === true);
      },
      (err: unknown) => {
        // The port says invoke never rejects; if an adapter breaks that, fail this invocation only.
        this.deadlines.remove(due);
        this.release(slot);
        const msg = err instanceof Error ? err.message : String(err);
        const outcome: InvokeOutcome = { ...platformError("InternalError", `instance ${slot.instance.id} failed: ${msg}`), coldStart, start };
        return log === undefined ? outcome : closeLog(log, outcome, performance.now() - t0, undefined, req.logTail === true);
      },
    );
    return traced ? outcome.then((o) => (traced.end(o), o)) : outcome;
  }

  /** Run `req` again on another instance, or undefined when it may not (closed, or tried too often). */
  private redeliver(req: InvokeRequest): Promise<InvokeOutcome> | undefined {
    const n = this.redeliveries.get(req) ?? 0;
    if (n >= MAX_REDELIVERIES || (this.state !== "open" && this.state !== "draining")) return undefined;
    this.redeliveries.set(req, n + 1);
    this.log.debug({ pool: this.key, requestId: req.requestId, traceId: traceIdOf(req.traceparent) }, "instance was going away; running the invocation on another");
    const slot = this.pickSlot();
    return slot !== undefined ? this.run(slot, req, "warm", false, 0) : this.acquireSlow(req);
  }

  private release(slot: Slot): void {
    slot.inflight--;
    this.inflight--;
    // Going away (fatal error announced, channel ended) but not yet exited: out of scheduling now,
    // so its place under the cap goes to a new instance at once rather than after the exit.
    if (!slot.removed && !slot.instance.alive) {
      this.removeSlot(slot);
      if (slot.inflight === 0) void this.stopInstance(slot.instance);
      else this.stopping.add(slot.instance);
    }
    if (slot.inflight === 0) {
      slot.idleSince = Date.now();
      if (!slot.removed) this.scheduleSweep();
    }
    if (this.waiters.length !== 0) this.pump();
    else if (this.state === "draining") this.checkDrained();
  }

  private onTimeout(slot: Slot, requestId: string, traceparent: string | undefined): void {
    this.log.warn({ pool: this.key, instance: slot.instance.id, requestId, traceId: traceIdOf(traceparent), timeoutS: this.spec.timeout }, "invocation timed out; killing instance");
    this.removeSlot(slot);
    slot.killedForTimeout = true;
    this.stopping.add(slot.instance);
    slot.instance.kill("timeout");
  }

  // ---- instance lifecycle -----------------------------------------------------------------

  private startInstance(initType: InitializationType = "on-demand"): void {
    this.starting++;
    const t0 = performance.now();
    const p: Promise<unknown> = launchInstance(this.spec, this.opts, initType).then(
      (r) => this.onStarted(r.instance, r.kind, performance.now() - t0),
      (err: unknown) => this.onStartFailed(err),
    );
    this.pendingStarts.add(p);
    void p.finally(() => this.pendingStarts.delete(p));
  }

  private onStarted(instance: Instance, kind: "fresh" | "stem", initMs: number): Promise<unknown> | void {
    this.starting--;
    if (this.state === "closed" || this.state === "drained") {
      this.releaseBudget();
      instance.kill("killed");
      return instance.exited;
    }
    this.initError = undefined;
    const slot: Slot = { instance, kind, initMs, inflight: 0, idleSince: Date.now(), removed: false, killedForTimeout: false };
    this.slots.push(slot);
    void instance.exited.then((info) => this.onExit(slot, info));
    this.log.debug({ pool: this.key, instance: instance.id, kind, initMs: Math.round(initMs) }, "instance started");
    // The invocations that waited for this start are its cold starts.
    const conc = this.spec.instanceConcurrency;
    while (slot.inflight < conc && this.waiters.length !== 0) this.dispatch(slot, kind, true, initMs);
    if (slot.inflight === 0) this.scheduleSweep();
    this.pump();
  }

  private onStartFailed(err: unknown): void {
    this.starting--;
    this.releaseBudget();
    const outcome = startFailure(err, this.spec);
    if (err instanceof InitError) this.initError = { outcome, until: Date.now() + this.initErrorCacheMs };
    this.log.warn({ pool: this.key, code: outcome.code, err: outcome.message }, "instance failed to start");
    // The invocations this start was for get its error; those another instance can still serve keep waiting.
    // No retry here, so a failing version is not restarted in a loop.
    const keep = this.starting * this.spec.instanceConcurrency + (this.slots.length > 0 ? this.opts.queueSize : 0);
    while (this.waiters.length > keep) this.waiters.shift()!.resolve({ ...outcome });
    this.scheduleSweep();
    this.checkDrained();
  }

  private onExit(slot: Slot, info: ExitInfo): void {
    this.stopping.delete(slot.instance);
    const wasServing = this.removeSlot(slot);
    if (wasServing && info.reason !== "stopped") {
      this.log.warn({ pool: this.key, instance: slot.instance.id, ...info }, "instance exited");
    }
    if (this.state === "closed" || this.state === "drained") return;
    if (this.waiters.length !== 0) this.pump();
    this.scheduleSweep();
    this.checkDrained();
  }

  /** Takes the slot out of scheduling; false when it was already out. */
  private removeSlot(slot: Slot): boolean {
    if (slot.removed) return false;
    slot.removed = true;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    this.releaseBudget();
    return true;
  }

  private stopInstance(instance: Instance): Promise<ExitInfo> {
    this.stopping.add(instance);
    return instance
      .stop(this.stopGraceMs)
      .catch(() => instance.kill("killed"))
      .then(() => instance.exited);
  }

  // ---- idle sweep, drain --------------------------------------------------------------------

  private scheduleSweep(): void {
    if (this.sweepTimer === undefined && this.state === "open") this.armSweep(this.idleMs());
  }

  private armSweep(ms: number): void {
    this.sweepTimer = setTimeout(this.sweep, ms);
    this.sweepTimer.unref();
  }

  private clearSweep(): void {
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private readonly sweep = (): void => {
    this.sweepTimer = undefined;
    if (this.state !== "open") return;
    const now = Date.now();
    const idleMs = this.idleMs();
    const floor = this.opts.floor?.() ?? 0;
    let next = Infinity;
    for (let i = this.slots.length - 1; i >= 0; i--) {
      const s = this.slots[i];
      if (s.inflight !== 0) continue;
      const due = s.idleSince + idleMs;
      if (due <= now && this.slots.length <= floor) {
        // Held (provisioned or scheduled minimum): look again later, the hold may have ended by then.
        if (now + idleMs < next) next = now + idleMs;
      } else if (due <= now) {
        this.removeSlot(s);
        this.log.debug({ pool: this.key, instance: s.instance.id, idleMs: now - s.idleSince }, "stopping idle instance");
        void this.stopInstance(s.instance);
      } else if (due < next) {
        next = due;
      }
    }
    if (next !== Infinity) this.armSweep(next - now);
    else if (this.isEmpty() && this.freshInitError() === undefined) {
      this.state = "closed";
      this.retired = true;
      this.opts.onEmpty?.(this);
    } else if (this.isEmpty()) {
      this.armSweep(this.initErrorCacheMs);
    }
  };

  private isEmpty(): boolean {
    return this.slots.length === 0 && this.starting === 0 && this.waiters.length === 0 && this.inflight === 0;
  }

  private checkDrained(): void {
    if (this.state !== "draining" || this.inflight !== 0 || this.waiters.length !== 0 || this.starting !== 0) return;
    this.state = "drained";
    this.retired = true;
    this.clearSweep();
    const slots = this.slots.splice(0);
    for (const s of slots) {
      s.removed = true;
      this.releaseBudget();
    }
    void Promise.all(slots.map((s) => this.stopInstance(s.instance))).then(() => this.resolveDrained?.());
  }

  private refusal(): PlatformErrorOutcome {
    return { ...platformError("ServiceUnavailable", this.state === "closed" ? CLOSED_MESSAGE : DRAINING_MESSAGE), refused: true };
  }
}
