/**
 * One runtime instance running as a child process (in its own process group): what is specific
 * to processes on top of ChannelInstance — the memory watch, stdout/stderr lines, and signalling
 * the whole group so nothing the instance started outlives it. A sandboxed instance is signalled
 * through its cgroup and uid too (a setsid grandchild leaves the group, not those), and its
 * sandbox is released, with everything still in it killed, before the exit is reported.
 */
import type { ChildProcess } from "node:child_process";
import type { FunctionSpec } from "../../../../protocol/invoke.ts";
import type { RuntimeId, RuntimeProtocol } from "../../../../protocol/runtimes.ts";
import { ChannelInstance, type Signal } from "../common/channel-instance.ts";
import type { FunctionLogOutput } from "../../logs/instance-log.ts";
import type { InstanceSandbox } from "../../sandbox/index.ts";
import type { MemoryWatch } from "./memory-watch.ts";

/**
 * How long END waits for output written before the result. Output and result cross different
 * pipes, so one event-loop turn is not always enough under load (a line read after END was seen in
 * CI); a few milliseconds of timer cost the caller nothing, as END is written behind the answer.
 */
const LOG_SETTLE_MS = 5;
/** How long to wait for stderr to drain after exit, so the tail holds the final message. */
const STDERR_DRAIN_MS = 300;

export interface ProcessInstanceInit {
  id: string;
  runtime: RuntimeId;
  protocol: RuntimeProtocol;
  memorySize: number;
  child: ChildProcess;
  spec?: FunctionSpec;
  logOutput?: FunctionLogOutput;
  memoryWatch: MemoryWatch;
  initTimeoutMs: number;
  /** LAMBDA_RUNTIME_DIR as the instance sees it. */
  runtimeDir?: string;
  defaultStopGraceMs: number;
  /** The instance's uid, temp dir and cgroup, when the backend is sandboxed. */
  sandbox?: InstanceSandbox;
}

export class ProcessInstance extends ChannelInstance {
  readonly pid: number;
  /** Process group id (the instance runs detached, as a group leader). */
  readonly pgid: number;

  private readonly child: ChildProcess;
  private readonly memoryWatch: MemoryWatch;
  private readonly sandbox: InstanceSandbox | undefined;
  private unwatch: () => void = () => {};
  /** Peak RSS seen before the memory watch let go of the pid (exit, OOM). */
  private lastPeakBytes = 0;

  constructor(init: ProcessInstanceInit) {
    super({ ...init, logSettleMs: LOG_SETTLE_MS });
    this.child = init.child;
    this.memoryWatch = init.memoryWatch;
    this.sandbox = init.sandbox;
    this.pid = init.child.pid!;
    this.pgid = this.pid;

    const stdoutDone = this.log.read(this.child.stdout!, "stdout");
    const stderrDone = this.log.read(this.child.stderr!, "stderr");
    this.child.once("exit", (code, signal) => {
      const drained = Promise.all([stdoutDone, stderrDone]);
      const bounded = new Promise<void>((resolve) => setTimeout(resolve, STDERR_DRAIN_MS).unref());
      void Promise.race([drained, bounded]).then(() => this.onExit(code, signal));
    });
    this.watchMemory();
  }

  /** Sandboxed, a stem loads its code from a view only its gid can open. */
  protected override stageCode(_spec: FunctionSpec, codeDir: string): string {
    return this.sandbox ? this.sandbox.stageCode(codeDir) : codeDir;
  }

  protected override onMemoryLimitChanged(): void {
    this.watchMemory();
    this.sandbox?.setMemoryLimit(this.memoryLimitMb);
  }

  /** Uid the instance runs as (the runner's own when not sandboxed). */
  get uid(): number | undefined {
    return this.sandbox?.user.uid;
  }

  /** The instance's private temp dir when sandboxed. */
  get tmpDir(): string | undefined {
    return this.sandbox?.tmpDir;
  }

  /** Pids in the instance's cgroup (empty without one). */
  cgroupPids(): number[] {
    return this.sandbox?.cgroup?.pids() ?? [];
  }

  protected override onKill(): void {
    this.unwatch();
  }

  /** The memory watch's peak RSS of the instance's process (its children are not counted). */
  protected override maxMemoryUsedBytes(): number | undefined {
    const peak = Math.max(this.lastPeakBytes, this.memoryWatch.peakBytes(this.pid) ?? 0);
    return peak > 0 ? peak : undefined;
  }

  private keepPeak(): void {
    this.lastPeakBytes = Math.max(this.lastPeakBytes, this.memoryWatch.peakBytes(this.pid) ?? 0);
  }

  private watchMemory(): void {
    this.unwatch();
    const unwatch = this.memoryWatch.watch(this.pid, this.memoryLimitMb * 1024 * 1024, (rss) => {
      this.lastPeakBytes = Math.max(this.lastPeakBytes, rss);
      this.kill("oom");
    });
    this.unwatch = () => {
      this.keepPeak();
      unwatch();
    };
  }

  protected terminate(signal: Signal): void {
    this.sandbox?.signalAll(signal);
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
    // Reap anything the instance left behind in its group (a custom runtime's children).
    try {
      process.kill(-this.pgid, "SIGKILL");
    } catch {
      // nothing left
    }
    const box = this.sandbox;
    if (!box) {
      this.finish(code, signal);
      return;
    }
    // The kernel's OOM killer sends SIGKILL; its verdict is in the cgroup's counters.
    const oom = signal === "SIGKILL" && box.oomKilled();
    void box.release().then(
      () => this.finish(code, signal, { oom }),
      () => this.finish(code, signal, { oom }),
    );
  }
}
