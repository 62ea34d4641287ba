/**
 * One runtime instance running as a child process (in its own process group). Owns the process's
 * lifecycle: readiness, kill/stop, the memory watch, log lines, and the mapping of how the process
 * ended (timeout, out of memory, crash...) onto the invocations that were in flight.
 */
import type { ChildProcess } from "node:child_process";
import type { FunctionSpec } from "../../../../platform/src/protocol/invoke.ts";
import type { RuntimeId, RuntimeProtocol } from "../../../../platform/src/protocol/runtimes.ts";
import type { ExitInfo, ExitReason, Instance, InstanceInvokeRequest, InstanceResult } from "../backend.ts";
import { InitError } from "../backend.ts";
import type { FastChannel, InitMessage } from "../../channel/fast-channel.ts";
import { ChannelClosedError, type InstanceChannel } from "../../channel/instance-channel.ts";
import { functionVariables } from "./child-env.ts";
import { LineTail, readLines, type LogSink } from "./log-lines.ts";
import type { MemoryWatch } from "./memory-watch.ts";

/** V8's last words when the JS heap is exhausted. */
const HEAP_OOM = /JavaScript heap out of memory|Reached heap limit|FatalProcessOutOfMemory/;
/** How long to wait for stderr to drain after exit, so the tail holds the final message. */
const STDERR_DRAIN_MS = 300;

export interface ProcessInstanceInit {
  id: string;
  runtime: RuntimeId;
  protocol: RuntimeProtocol;
  memorySize: number;
  child: ChildProcess;
  spec?: FunctionSpec;
  codeDir?: string;
  onLog?: LogSink;
  memoryWatch: MemoryWatch;
  initTimeoutMs: number;
  defaultStopGraceMs: number;
}

export class ProcessInstance implements Instance {
  readonly id: string;
  readonly runtime: RuntimeId;
  readonly protocol: RuntimeProtocol;
  readonly exited: Promise<ExitInfo>;
  readonly pid: number;
  /** Process group id (the instance runs detached, as a group leader). */
  readonly pgid: number;

  private currentSpec: FunctionSpec | undefined;
  private codeDir: string | undefined;
  private channel: InstanceChannel | undefined;
  private fast: FastChannel | undefined;
  private readonly child: ChildProcess;
  private readonly stderrTail = new LineTail();
  private exitInfo: ExitInfo | undefined;
  private killReason: "timeout" | "killed" | "oom" | undefined;
  private stopping = false;
  private initFailed = false;
  private memoryLimitMb: number;
  private unwatch: () => void = () => {};
  private resolveExited!: (e: ExitInfo) => void;

  constructor(private readonly init: ProcessInstanceInit) {
    this.id = init.id;
    this.runtime = init.runtime;
    this.protocol = init.protocol;
    this.currentSpec = init.spec;
    this.codeDir = init.codeDir;
    this.child = init.child;
    this.pid = init.child.pid!;
    this.pgid = this.pid;
    this.memoryLimitMb = init.spec?.memorySize ?? init.memorySize;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));

    const sink = init.onLog;
    const stdoutDone = sink
      ? readLines(this.child.stdout!, (line) => sink(this.id, "stdout", line))
      : new Promise<void>((resolve) => this.child.stdout!.on("close", resolve).resume());
    const stderrDone = readLines(this.child.stderr!, (line) => {
      this.stderrTail.push(line);
      sink?.(this.id, "stderr", line);
    });
    this.child.once("exit", (code, signal) => {
      const drained = Promise.all([stdoutDone, stderrDone]);
      const bounded = new Promise<void>((resolve) => setTimeout(resolve, STDERR_DRAIN_MS).unref());
      void Promise.race([drained, bounded]).then(() => this.onExit(code, signal));
    });
    this.watchMemory();
  }

  get spec(): FunctionSpec | undefined {
    return this.currentSpec;
  }

  get alive(): boolean {
    return this.exitInfo === undefined && this.killReason === undefined;
  }

  /** Connect the protocol channel (set once by the backend right after spawning). */
  attach(channel: InstanceChannel, fast?: FastChannel): void {
    this.channel = channel;
    this.fast = fast;
  }

  /**
   * Wait for `step` (hello, ready...) with the init timeout; if the process exits or the time runs
   * out first, kill it and throw an InitError that says why, quoting its stderr.
   */
  async untilReady(step: Promise<unknown>, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new InitError(`The runtime did not become ready within ${this.init.initTimeoutMs} ms (${what}).`, "Runtime.InitTimeout")),
        this.init.initTimeoutMs,
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
        const e = await Promise.race([this.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref())]);
        failure = new InitError(this.exitDescription("The runtime exited during initialization", e), "Runtime.ExitError");
      }
      this.terminate("SIGKILL");
      await this.exited;
      throw failure instanceof InitError ? failure : new InitError(String((failure as Error)?.message ?? failure));
    } finally {
      clearTimeout(timer);
    }
  }

  async specialise(spec: FunctionSpec, codeDir: string): Promise<void> {
    if (!this.fast) throw new Error("only fast-channel instances can be specialised; start runtime-api instances with a spec");
    if (this.currentSpec) throw new Error(`instance ${this.id} already runs ${spec.functionName}`);
    if (!this.alive) throw new InitError(`instance ${this.id} is no longer running`, "Runtime.ExitError");
    const msg: InitMessage = {
      taskRoot: codeDir,
      handler: spec.handler,
      functionName: spec.functionName,
      functionVersion: String(spec.version),
      memorySize: spec.memorySize,
      timeout: spec.timeout,
      env: functionVariables(spec),
      concurrency: spec.instanceConcurrency,
    };
    this.currentSpec = spec;
    this.codeDir = codeDir;
    if (spec.memorySize !== this.memoryLimitMb) {
      this.memoryLimitMb = spec.memorySize;
      this.watchMemory();
    }
    await this.untilReady(this.fast.init(msg), "loading the handler");
  }

  invoke(req: InstanceInvokeRequest): Promise<InstanceResult> {
    if (!this.alive || !this.channel) return Promise.resolve(this.deadResult());
    if (!this.currentSpec) {
      return Promise.resolve({ kind: "platform-error", code: "InternalError", message: `instance ${this.id} is a stem: specialise it before invoking` });
    }
    return this.channel.invoke(req);
  }

  kill(reason: "timeout" | "killed" | "oom"): void {
    if (this.exitInfo || this.killReason) return;
    this.killReason = reason;
    this.unwatch();
    // Answer in-flight invocations now: the exit event only confirms what we already know.
    this.channel?.fail(this.resultFor(reason, null, "SIGKILL"));
    this.terminate("SIGKILL");
  }

  async stop(graceMs = this.init.defaultStopGraceMs): Promise<void> {
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
    const bounded = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000).unref());
    const e = await Promise.race([this.exited, bounded]);
    if (!e) {
      // The channel closed but the process lingers: it can no longer serve, so end it.
      this.kill("killed");
      return this.resultFor("killed", null, null);
    }
    return this.resultFor(e.reason, e.code, e.signal);
  }

  private deadResult(): InstanceResult {
    const e = this.exitInfo;
    if (e) return this.resultFor(e.reason, e.code, e.signal);
    return this.resultFor(this.killReason ?? "killed", null, null);
  }

  private watchMemory(): void {
    this.unwatch();
    this.unwatch = this.init.memoryWatch.watch(this.pid, this.memoryLimitMb * 1024 * 1024, () => this.kill("oom"));
  }

  private terminate(signal: NodeJS.Signals): void {
    try {
      // The whole group: a custom runtime's curl or a handler's subprocess goes too.
      process.kill(-this.pgid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.unwatch();
    const stderrTail = this.stderrTail.toString();
    let reason: ExitReason;
    if (this.killReason) reason = this.killReason;
    else if (HEAP_OOM.test(stderrTail)) reason = "oom";
    else if (this.initFailed) reason = "init-error";
    else if (this.stopping) reason = "stopped";
    else reason = "crash";
    // Reap anything the instance left behind in its group (a custom runtime's children).
    try {
      process.kill(-this.pgid, "SIGKILL");
    } catch {
      // nothing left
    }
    this.exitInfo = { reason, code, signal, stderrTail };
    this.channel?.fail(this.resultFor(reason, code, signal));
    void this.channel?.close();
    this.resolveExited(this.exitInfo);
  }

  private exitDescription(prefix: string, e: ExitInfo | undefined): string {
    const how = !e ? "" : e.signal ? ` (killed by ${e.signal})` : ` (exit code ${e.code})`;
    const tail = (e?.stderrTail ?? this.stderrTail.toString()).trim();
    return `${prefix}${how}.${tail ? ` Last stderr lines:\n${tail}` : ""}`;
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
