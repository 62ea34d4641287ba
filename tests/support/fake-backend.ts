/**
 * In-memory ExecutionBackend for the pool's unit tests only (the integration tests use the real
 * ProcessBackend). Instances read a small JSON command from the payload, so a test controls
 * latency, crashes and OOMs per invocation, and can hold invocations until it opens a gate.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { FunctionSpec } from "../../protocol/invoke.ts";
import type { RuntimeAvailability } from "../../protocol/runner.ts";
import type { RuntimeId, RuntimeProtocol } from "../../protocol/runtimes.ts";
import type {
  ExecutionBackend,
  ExitInfo,
  ExitReason,
  Instance,
  InstanceInvokeRequest,
  InstanceResult,
  StartOptions,
} from "../../runner/src/backends/backend.ts";

/** What a fake invocation does, read from its payload. */
export interface FakeCommand {
  /** Answer after this many ms. */
  sleepMs?: number;
  /** Answer only once the backend's gate is opened. */
  hold?: boolean;
  /** Die mid-invocation with reason crash / oom. */
  crash?: boolean;
  oom?: boolean;
  /** Return a function error with this message. */
  fail?: string;
}

export interface FakeBackendOptions {
  startDelayMs?: number;
  /** Called at each start with the 1-based start count; throw (e.g. InitError) to fail the start. */
  onStart?(n: number, opts: StartOptions): void | Promise<void>;
}

interface Pending {
  resolve(r: InstanceResult): void;
}

export class FakeInstance implements Instance {
  readonly exited: Promise<ExitInfo>;
  alive = true;
  inflight = 0;
  maxInflight = 0;
  invocations = 0;
  private readonly pending = new Set<Pending>();
  /** Stands in for a child process handle: keeps the event loop alive while the instance lives. */
  private readonly keepAlive = setInterval(() => {}, 60_000);
  private resolveExit!: (i: ExitInfo) => void;

  constructor(
    readonly id: string,
    readonly runtime: RuntimeId,
    readonly protocol: RuntimeProtocol,
    public spec: FunctionSpec | undefined,
    private readonly backend: FakeBackend,
  ) {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  async specialise(spec: FunctionSpec): Promise<void> {
    this.spec = spec;
  }

  async invoke(req: InstanceInvokeRequest): Promise<InstanceResult> {
    if (!this.alive) return { kind: "platform-error", code: "InstanceCrashed", message: "instance is not running" };
    const cmd = JSON.parse(req.payload.toString() || "{}") as FakeCommand;
    this.invocations++;
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    return new Promise<InstanceResult>((resolve) => {
      const p: Pending = {
        resolve: (r) => {
          if (!this.pending.delete(p)) return;
          this.inflight--;
          resolve(r);
        },
      };
      this.pending.add(p);
      void this.act(cmd, req, p);
    });
  }

  private async act(cmd: FakeCommand, req: InstanceInvokeRequest, p: Pending): Promise<void> {
    if (cmd.sleepMs) await sleep(cmd.sleepMs);
    if (cmd.hold) await this.backend.gate;
    if (!this.alive) return;
    if (cmd.crash) return this.die("crash");
    if (cmd.oom) return this.die("oom");
    if (cmd.fail) {
      const body = { errorType: "Error", errorMessage: cmd.fail, stackTrace: [] };
      return p.resolve({ kind: "function-error", payload: Buffer.from(JSON.stringify(body)) });
    }
    p.resolve({ kind: "success", payload: Buffer.from(JSON.stringify({ instance: this.id, requestId: req.requestId })) });
  }

  kill(reason: "timeout" | "killed" | "oom"): void {
    this.die(reason);
  }

  async stop(): Promise<void> {
    this.die("stopped");
    await this.exited;
  }

  private die(reason: ExitReason): void {
    if (!this.alive) return;
    this.alive = false;
    clearInterval(this.keepAlive);
    const code = reason === "timeout" ? "TimeoutError" : reason === "oom" ? "OutOfMemory" : "InstanceCrashed";
    for (const p of [...this.pending]) p.resolve({ kind: "platform-error", code, message: `instance ${reason}` });
    // Like a real process, the exit is observed a little after the death.
    setImmediate(() => this.resolveExit({ reason, code: null, signal: reason === "stopped" ? "SIGTERM" : "SIGKILL" }));
  }
}

export class FakeBackend implements ExecutionBackend {
  readonly kind = "process" as const;
  readonly instances: FakeInstance[] = [];
  startCalls = 0;
  /** Most start() calls in progress at once. */
  maxConcurrentStarts = 0;
  private startsInProgress = 0;
  gate: Promise<void>;
  private openGateFn!: () => void;

  constructor(private readonly opts: FakeBackendOptions = {}) {
    this.gate = new Promise((r) => (this.openGateFn = r));
  }

  /** Release every invocation holding on the gate; later `hold` invocations hold on a new gate. */
  openGate(): void {
    this.openGateFn();
    this.gate = new Promise((r) => (this.openGateFn = r));
  }

  live(): FakeInstance[] {
    return this.instances.filter((i) => i.alive);
  }

  async runtimes(): Promise<RuntimeAvailability[]> {
    return [{ id: "nodejs20", available: true, using: "fake" }];
  }

  async start(opts: StartOptions): Promise<Instance> {
    const n = ++this.startCalls;
    this.maxConcurrentStarts = Math.max(this.maxConcurrentStarts, ++this.startsInProgress);
    try {
      if (this.opts.startDelayMs) await sleep(this.opts.startDelayMs);
      await this.opts.onStart?.(n, opts);
    } finally {
      this.startsInProgress--;
    }
    const inst = new FakeInstance(`fake-${n}`, opts.runtime, opts.protocol, opts.spec, this);
    this.instances.push(inst);
    return inst;
  }

  async healthCheck(): Promise<void> {}

  async close(): Promise<void> {
    for (const i of this.instances) i.kill("killed");
    await Promise.all(this.instances.map((i) => i.exited));
  }
}
