/**
 * Prewarmed stem instances for any execution backend: runtimes started with no code
 * (ExecutionBackend.start without a spec), kept ready per runtime and memory size, handed to a
 * VersionPool on a cold start through StemSource.take(), which specialises one instead of starting
 * a fresh instance (start kind "stem"). Taken stems are replaced in the background, a moment later:
 * starting a process is a synchronous spawn that blocks the runner's event loop for milliseconds,
 * and done at once it would hold up the very cold start that took the stem (its init message, its
 * first invocation). A stem that
 * dies while it waits is dropped and replaced; failing starts (Docker down, a runtime missing) are
 * retried with a growing back-off rather than in a loop.
 */
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import { runtimeFamily, type RuntimeId } from "../../../protocol/runtimes.ts";
import type { ExecutionBackend, Instance } from "../backends/backend.ts";
import type { PoolLog, StemSource } from "./pool-types.ts";

const MAX_RETRY_DELAY_MS = 30_000;
/** How long after a take() its replacement starts: past the specialisation and first invocation of a cold start. */
const DEFAULT_REFILL_DELAY_MS = 250;
const NOOP_LOG: PoolLog = { debug() {}, info() {}, warn() {} };

export interface StemPoolOptions {
  backend: ExecutionBackend;
  /** Stems kept ready per runtime and memory size. 0 keeps none. */
  size: number;
  /**
   * Runtimes to keep stems of. Default: every node, python and java runtime the backend reports
   * available (`provided` has no stems: its bootstrap is the function's own).
   */
  runtimes?: RuntimeId[];
  /**
   * Memory sizes (MB) to keep stems for. A stem serves only functions of its own memory size, since
   * its limits (heap flag, container memory) were set when it started. @default [256], the default memorySize.
   */
  memorySizes?: number[];
  log?: PoolLog;
  /** Delay before retrying after a failed start; doubles per failure up to 30 s. @default 1000 */
  retryDelayMs?: number;
  /**
   * Delay between taking a stem and starting its replacement, so the replacement's spawn does not
   * run in the middle of the cold start that took it. @default 250
   */
  refillDelayMs?: number;
}

export interface StemPoolStats {
  runtime: RuntimeId;
  memorySize: number;
  ready: number;
  starting: number;
}

interface Slot {
  runtime: RuntimeId;
  memorySize: number;
  ready: Instance[];
  starting: number;
  failures: number;
  retry: NodeJS.Timeout | undefined;
  /** The refill scheduled after a take(). */
  refill: NodeJS.Timeout | undefined;
}

export class StemPool implements StemSource {
  private readonly slots = new Map<string, Slot>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly log: PoolLog;
  private readonly retryDelayMs: number;
  private readonly refillDelayMs: number;
  private fullWaiters: Array<() => void> = [];
  private started: Promise<void> | undefined;
  private discoverTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: StemPoolOptions) {
    this.log = opts.log ?? NOOP_LOG;
    this.retryDelayMs = opts.retryDelayMs ?? 1000;
    this.refillDelayMs = opts.refillDelayMs ?? DEFAULT_REFILL_DELAY_MS;
  }

  /**
   * Decide which runtimes get stems (asking the backend what it can run) and start filling. When
   * the backend can run none yet (Docker down), it asks again with the same back-off as failed starts.
   */
  start(): Promise<void> {
    this.started ??= this.discover(0);
    return this.started;
  }

  /** A ready stem for `spec` (same runtime and memory size, fast protocol), or undefined. Never waits. */
  take(spec: FunctionSpec): Instance | undefined {
    if (spec.protocol !== "fast" || this.closed) return undefined;
    const slot = this.slots.get(slotKey(spec.runtime, spec.memorySize));
    if (slot === undefined) return undefined;
    let stem: Instance | undefined;
    while (slot.ready.length !== 0) {
      const candidate = slot.ready.shift()!;
      if (candidate.alive) {
        stem = candidate;
        break;
      }
    }
    if (stem !== undefined && slot.refill === undefined) {
      slot.refill = setTimeout(() => {
        slot.refill = undefined;
        this.fill(slot);
      }, this.refillDelayMs);
      slot.refill.unref();
    }
    return stem;
  }

  stats(): StemPoolStats[] {
    return [...this.slots.values()].map((s) => ({ runtime: s.runtime, memorySize: s.memorySize, ready: s.ready.length, starting: s.starting }));
  }

  /** Resolves once every runtime and memory size has `size` stems ready (or the pool closes). */
  async whenFull(): Promise<void> {
    await this.start();
    if (this.opts.size <= 0 || this.closed || this.isFull()) return;
    await new Promise<void>((resolve) => this.fullWaiters.push(resolve));
  }

  /** Stop refilling and kill the stems nobody took. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.discoverTimer);
    this.notifyIfFull();
    const stems: Instance[] = [];
    for (const slot of this.slots.values()) {
      clearTimeout(slot.retry);
      clearTimeout(slot.refill);
      stems.push(...slot.ready.splice(0));
    }
    for (const s of stems) s.kill("killed");
    // Starts in flight kill their stem when they land.
    await Promise.all([...this.pending, ...stems.map((s) => s.exited)]);
  }

  private async discover(attempt: number): Promise<void> {
    if (this.opts.size <= 0 || this.closed) return;
    let runtimes = this.opts.runtimes;
    if (!runtimes) {
      const available = await this.opts.backend.runtimes().catch(() => []);
      runtimes = available.filter((r) => r.available && runtimeFamily(r.id) !== "provided").map((r) => r.id);
      if (runtimes.length === 0) {
        const delay = Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2 ** attempt);
        if (attempt === 0) this.log.warn({ retryInMs: delay }, "the backend can run no runtime yet; stems will start once it can");
        this.discoverTimer = setTimeout(() => void this.discover(attempt + 1), delay);
        this.discoverTimer.unref();
        return;
      }
    }
    if (this.closed) return;
    const memorySizes = this.opts.memorySizes ?? [256];
    for (const runtime of runtimes) {
      if (runtimeFamily(runtime) === "provided") continue;
      for (const memorySize of memorySizes) {
        this.slots.set(slotKey(runtime, memorySize), { runtime, memorySize, ready: [], starting: 0, failures: 0, retry: undefined, refill: undefined });
      }
    }
    for (const slot of this.slots.values()) this.fill(slot);
    this.log.info({ runtimes, memorySizes, size: this.opts.size }, "stem pool filling");
  }

  private fill(slot: Slot): void {
    while (!this.closed && slot.retry === undefined && slot.ready.length + slot.starting < this.opts.size) this.startOne(slot);
  }

  private startOne(slot: Slot): void {
    slot.starting++;
    const p = this.opts.backend.start({ runtime: slot.runtime, protocol: "fast", memorySize: slot.memorySize }).then(
      async (stem) => {
        slot.starting--;
        if (this.closed) {
          stem.kill("killed");
          await stem.exited;
          return;
        }
        slot.failures = 0;
        slot.ready.push(stem);
        void stem.exited.then(() => this.onStemExit(slot, stem));
        this.notifyIfFull();
      },
      (err: unknown) => {
        slot.starting--;
        if (this.closed) return;
        slot.failures++;
        const delay = Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2 ** (slot.failures - 1));
        const log = slot.failures === 1 ? this.log.warn.bind(this.log) : this.log.debug.bind(this.log);
        log({ runtime: slot.runtime, memorySize: slot.memorySize, retryInMs: delay, err: (err as Error)?.message ?? String(err) }, "stem start failed");
        if (slot.retry === undefined) {
          slot.retry = setTimeout(() => {
            slot.retry = undefined;
            this.fill(slot);
          }, delay);
          slot.retry.unref();
        }
      },
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private onStemExit(slot: Slot, stem: Instance): void {
    const i = slot.ready.indexOf(stem);
    if (i < 0) return; // taken: it belongs to a VersionPool now
    slot.ready.splice(i, 1);
    this.log.warn({ runtime: slot.runtime, memorySize: slot.memorySize, instance: stem.id }, "a waiting stem exited; replacing it");
    this.fill(slot);
  }

  private isFull(): boolean {
    if (this.slots.size === 0) return false;
    for (const s of this.slots.values()) if (s.ready.length < this.opts.size) return false;
    return true;
  }

  private notifyIfFull(): void {
    if (this.fullWaiters.length === 0 || (!this.closed && !this.isFull())) return;
    const waiters = this.fullWaiters;
    this.fullWaiters = [];
    for (const w of waiters) w();
  }
}

function slotKey(runtime: RuntimeId, memorySize: number): string {
  return `${runtime}/${memorySize}`;
}
