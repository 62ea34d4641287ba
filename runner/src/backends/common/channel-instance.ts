/**
 * What every runtime instance has in common, whatever hosts it (a child process, a container):
 * readiness with an init timeout, stem specialisation over the fast channel, kill/stop, and the
 * mapping of how the instance ended (timeout, out of memory, crash...) onto the invocations that
 * were in flight. A backend subclasses it with how to signal its instance and how to stage code,
 * and calls finish() once when the instance is gone.
 */
import type { FunctionSpec } from "../../../../protocol/invoke.ts";
import type { RuntimeId, RuntimeProtocol } from "../../../../protocol/runtimes.ts";
import type { ExitInfo, ExitReason, Instance, InstanceInvokeRequest, InstanceResult, SpecialiseOptions } from "../backend.ts";
import { InitError } from "../backend.ts";
import type { FastChannel, InitMessage } from "../../channel/fast-channel.ts";
import { ChannelClosedError, undelivered, type InstanceChannel } from "../../channel/instance-channel.ts";
import { functionVariables, instanceFacts } from "./child-env.ts";
import { LineTail } from "./log-lines.ts";
import { HEAP_OOM } from "./node-heap.ts";
import { InstanceLog, type FunctionLogOutput } from "../../logs/instance-log.ts";

export interface ChannelInstanceInit {
  id: string;
  runtime: RuntimeId;
  protocol: RuntimeProtocol;
  memorySize: number;
  /** Set for runtime-api instances, which load their code at start; fast instances get it in specialise(). */
  spec?: FunctionSpec;
  initTimeoutMs: number;
  defaultStopGraceMs: number;
  /** LAMBDA_RUNTIME_DIR: where the runtime's bootstrap lives, as the instance sees it. */
  runtimeDir?: string;
  /** How long an invocation whose channel closed waits for the exit to learn why. @default 2000 */
  deathWaitMs?: number;
  /** Where the function's log records go; without it lines only feed the stderr tail and log tails. */
  logOutput?: FunctionLogOutput;
  /** How long END waits for output written before the result (see InstanceLogOptions.settleMs). @default 0 */
  logSettleMs?: number;
}

export type Signal = "SIGTERM" | "SIGKILL";

export abstract class ChannelInstance implements Instance {
  readonly id: string;
  readonly runtime: RuntimeId;
  readonly protocol: RuntimeProtocol;
  readonly exited: Promise<ExitInfo>;

  protected currentSpec: FunctionSpec | undefined;
  protected channel: InstanceChannel | undefined;
  protected fast: FastChannel | undefined;
  /** The last lines the instance wrote to stderr; subclasses feed it. */
  protected readonly stderrTail = new LineTail();
  /** The function's log: subclasses feed it the instance's stdout and stderr (InstanceLog.read). */
  readonly log: InstanceLog;
  protected exitInfo: ExitInfo | undefined;
  protected killReason: "timeout" | "killed" | "oom" | undefined;
  protected stopping = false;
  protected initFailed = false;
  protected memoryLimitMb: number;
  private resolveExited!: (e: ExitInfo) => void;

  constructor(protected readonly base: ChannelInstanceInit) {
    this.id = base.id;
    this.runtime = base.runtime;
    this.protocol = base.protocol;
    this.currentSpec = base.spec;
    this.memoryLimitMb = base.spec?.memorySize ?? base.memorySize;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.log = new InstanceLog({
      instanceId: base.id,
      output: base.logOutput,
      spec: () => this.currentSpec,
      onStderr: (message) => this.stderrTail.push(message),
      settleMs: base.logSettleMs ?? 0,
      maxMemoryUsedBytes: () => this.maxMemoryUsedBytes(),
    });
  }

  /** Peak memory of the instance in bytes for REPORT's Max Memory Used; undefined when unknown. */
  protected maxMemoryUsedBytes(): number | undefined | Promise<number | undefined> {
    return undefined;
  }

  /** Send `signal` to the instance (and everything it started). Must not throw. */
  protected abstract terminate(signal: Signal): void;

  /**
   * Make `codeDir` visible to the instance before a stem loads it; returns the task root the
   * instance sees. The process backend uses the directory as is.
   */
  protected stageCode(_spec: FunctionSpec, codeDir: string): Promise<string> | string {
    return codeDir;
  }

  /** The memory limit changed at specialisation (a stem started for another size). */
  protected onMemoryLimitChanged(): void | Promise<void> {}

  /** Called once when kill() takes effect, before the instance is signalled. */
  protected onKill(): void {}

  get spec(): FunctionSpec | undefined {
    return this.currentSpec;
  }

  /**
   * False as soon as anything says the instance is going away: its exit, a kill, or its channel
   * no longer accepting (the bootstrap announced a fatal exit, or the channel ended) — the last
   * comes before the exit is confirmed, so the pool stops handing it invocations at once.
   */
  get alive(): boolean {
    return this.exitInfo === undefined && this.killReason === undefined && this.channel?.accepting !== false;
  }

  /** Connect the protocol channel (set once by the backend right after starting the instance). */
  attach(channel: InstanceChannel, fast?: FastChannel): void {
    this.channel = channel;
    this.fast = fast;
  }

  /**
   * Wait for `step` (hello, ready...) with the init timeout; if the instance exits or the time runs
   * out first, kill it and throw an InitError that says why, quoting its stderr.
   */
  async untilReady(step: Promise<unknown>, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new InitError(`The runtime did not become ready within ${this.base.initTimeoutMs} ms (${what}).`, "Runtime.InitTimeout")),
        this.base.initTimeoutMs,
      );
      timer.unref();
    });
    const died = this.exited.then((e) => {
      throw new InitError(this.exitDescription("The runtime exited during initialization", e), "Runtime.ExitError");
    });
    died.catch(() => {});
    try {
      await Promise.race([step, timeout, died]);
    } catch (err) {
      this.initFailed = true;
      let failure = err;
      if (err instanceof ChannelClosedError) {
        // The channel closing is only a symptom; the exit (code, stderr) is the explanation.
        const e = await Promise.race([this.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), this.deathWaitMs()).unref())]);
        failure = new InitError(this.exitDescription("The runtime exited during initialization", e), "Runtime.ExitError");
      }
      this.terminate("SIGKILL");
      await this.exited;
      throw failure instanceof InitError ? failure : new InitError(String((failure as Error)?.message ?? failure));
    } finally {
      clearTimeout(timer);
    }
  }

  async specialise(spec: FunctionSpec, codeDir: string, opts: SpecialiseOptions = {}): Promise<void> {
    if (!this.fast) throw new Error("only fast-channel instances can be specialised; start runtime-api instances with a spec");
    if (this.currentSpec) throw new Error(`instance ${this.id} already runs ${spec.functionName}`);
    if (!this.alive) throw new InitError(`instance ${this.id} is no longer running`, "Runtime.ExitError");
    this.currentSpec = spec;
    const taskRoot = await this.stageCode(spec, codeDir);
    const msg: InitMessage = {
      taskRoot,
      handler: spec.handler,
      functionName: spec.functionName,
      functionVersion: String(spec.version),
      memorySize: spec.memorySize,
      timeout: spec.timeout,
      env: { ...functionVariables(spec), ...instanceFacts(spec, opts.initializationType, this.base.runtimeDir) },
      concurrency: spec.instanceConcurrency,
    };
    if (spec.memorySize !== this.memoryLimitMb) {
      this.memoryLimitMb = spec.memorySize;
      await this.onMemoryLimitChanged();
    }
    await this.untilReady(this.fast.init(msg), "loading the handler");
  }

  invoke(req: InstanceInvokeRequest): Promise<InstanceResult> {
    if (!this.alive || !this.channel) return Promise.resolve(undelivered(this.deadResult()));
    if (!this.currentSpec) {
      return Promise.resolve({ kind: "platform-error", code: "InternalError", message: `instance ${this.id} is a stem: specialise it before invoking` });
    }
    return this.channel.invoke(req);
  }

  kill(reason: "timeout" | "killed" | "oom"): void {
    if (this.exitInfo || this.killReason) return;
    this.killReason = reason;
    this.onKill();
    // Answer in-flight invocations now: the exit only confirms what we already know.
    const result = this.resultFor(reason, null, "SIGKILL");
    this.channel?.fail(result, undelivered(result));
    this.terminate("SIGKILL");
  }

  async stop(graceMs = this.base.defaultStopGraceMs): Promise<void> {
    if (this.exitInfo) return;
    if (!this.killReason) {
      this.stopping = true;
      this.terminate("SIGTERM");
    }
    const timer = setTimeout(() => this.terminate("SIGKILL"), graceMs);
    timer.unref();
    await this.exited;
    clearTimeout(timer);
  }

  /** Result for invocations pending when the channel ends: waits (bounded) for the exit to know why. */
  async deathResult(): Promise<InstanceResult> {
    const bounded = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), this.deathWaitMs()).unref());
    const e = await Promise.race([this.exited, bounded]);
    if (!e) {
      // The channel closed but the instance lingers: it can no longer serve, so end it.
      this.kill("killed");
      return this.resultFor("killed", null, null);
    }
    return this.resultFor(e.reason, e.code, e.signal);
  }

  /**
   * Record how the instance ended, answer whatever was in flight accordingly and resolve `exited`.
   * `oom` is the host's own verdict (a container's OOMKilled); V8's heap message counts too.
   */
  protected finish(code: number | null, signal: string | null, opts: { oom?: boolean } = {}): void {
    if (this.exitInfo) return;
    const stderrTail = this.stderrTail.toString();
    let reason: ExitReason;
    if (this.killReason) reason = this.killReason;
    else if (opts.oom || HEAP_OOM.test(stderrTail)) reason = "oom";
    else if (this.initFailed) reason = "init-error";
    else if (this.stopping) reason = "stopped";
    else reason = "crash";
    this.exitInfo = { reason, code, signal, stderrTail };
    const result = this.resultFor(reason, code, signal);
    this.channel?.fail(result, undelivered(result));
    void this.channel?.close();
    this.resolveExited(this.exitInfo);
  }

  protected exitDescription(prefix: string, e: ExitInfo | undefined): string {
    const how = !e ? "" : e.signal ? ` (killed by ${e.signal})` : ` (exit code ${e.code})`;
    const tail = (e?.stderrTail ?? this.stderrTail.toString()).trim();
    return `${prefix}${how}.${tail ? ` Last stderr lines:\n${tail}` : ""}`;
  }

  private deathWaitMs(): number {
    return this.base.deathWaitMs ?? 2000;
  }

  private deadResult(): InstanceResult {
    const e = this.exitInfo;
    if (e) return this.resultFor(e.reason, e.code, e.signal);
    return this.resultFor(this.killReason ?? "killed", null, null);
  }

  private resultFor(reason: ExitReason, code: number | null, signal: string | null): InstanceResult {
    switch (reason) {
      case "timeout": {
        const t = this.currentSpec?.timeout;
        return { kind: "platform-error", code: "TimeoutError", message: t ? `Task timed out after ${t.toFixed(2)} seconds` : "Task timed out" };
      }
      case "oom":
        return {
          kind: "platform-error",
          code: "OutOfMemory",
          message: `The function ran out of memory: it exceeded its memory limit of ${this.memoryLimitMb} MB and the instance was stopped. Raise memorySize to give it more memory.`,
        };
      case "killed":
        return { kind: "platform-error", code: "InstanceCrashed", message: "The instance was killed by the runner while the invocation was running." };
      case "stopped":
        return { kind: "platform-error", code: "InstanceCrashed", message: "The instance was stopped while the invocation was running." };
      default: {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const tail = this.stderrTail.toString().trim();
        return {
          kind: "platform-error",
          code: "InstanceCrashed",
          message: `The runtime ${how} while the invocation was running (Runtime.ExitError).${tail ? ` Last stderr lines:\n${tail}` : ""}`,
        };
      }
    }
  }
}
