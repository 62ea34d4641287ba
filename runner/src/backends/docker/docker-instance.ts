/**
 * One runtime instance running as a container: what is specific to containers on top of
 * ChannelInstance. Signals go through the Docker API; the exit comes from waiting on the
 * container, and its verdict (exit code, OOMKilled) from inspecting it; output arrives through an
 * attach stream. A stem's code is staged into its own directory of the code volume at
 * specialisation, so the function always sees itself at /var/task.
 */
import { PassThrough, type Duplex } from "node:stream";
import type Docker from "dockerode";
import type { FunctionSpec } from "../../../../protocol/invoke.ts";
import type { RuntimeId, RuntimeProtocol } from "../../../../protocol/runtimes.ts";
import { ChannelInstance, type Signal } from "../common/channel-instance.ts";
import type { FunctionLogOutput } from "../../logs/instance-log.ts";
import { memoryLimits, TASK_ROOT } from "./container-spec.ts";
import { containerMemoryPeak } from "./container-memory.ts";

/** How long to wait for output to drain after the exit, so the stderr tail holds the last words. */
const OUTPUT_DRAIN_MS = 300;
/**
 * How long END waits for output written before the result: a container's output reaches the runner
 * through the Docker daemon's attach stream, later than the result on the channel.
 */
const LOG_SETTLE_MS = 50;
/** How long a read of the container's memory peak serves later REPORTs. */
const PEAK_READ_MS = 100;
/** Retries of the wait on the container when the Docker API drops it, one second apart. */
const WAIT_RETRIES = 30;

export interface DockerInstanceInit {
  id: string;
  runtime: RuntimeId;
  protocol: RuntimeProtocol;
  memorySize: number;
  spec?: FunctionSpec;
  docker: Docker;
  container: Docker.Container;
  logOutput?: FunctionLogOutput;
  initTimeoutMs: number;
  /** LAMBDA_RUNTIME_DIR as the instance sees it. */
  runtimeDir?: string;
  defaultStopGraceMs: number;
  /** Writes a stem's code into its directory (CodeVolume.fillStem); undefined for fresh containers. */
  stageStem?: (spec: FunctionSpec, codeDir: string) => Promise<void>;
  /** Called once after the exit, to remove the container and whatever belonged to it. */
  onGone: (instance: DockerInstance) => void;
}

export class DockerInstance extends ChannelInstance {
  readonly container: Docker.Container;
  private readonly init: DockerInstanceInit;
  private outputDone: Promise<unknown> = Promise.resolve();
  private started = false;
  private peak: { at: number; bytes: number | undefined } | undefined;

  constructor(init: DockerInstanceInit) {
    // Exit detection goes through the Docker API, so a channel that closes may wait longer to learn why.
    super({ ...init, deathWaitMs: 5000, logSettleMs: LOG_SETTLE_MS });
    this.init = init;
    this.container = init.container;
  }

  /** Attach to the output, start the container, and watch for its exit. */
  async begin(): Promise<void> {
    const stream = (await this.container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Duplex;
    const out = new PassThrough();
    const err = new PassThrough();
    this.init.docker.modem.demuxStream(stream, out, err);
    const end = () => {
      out.end();
      err.end();
    };
    stream.once("end", end);
    stream.once("close", end);
    stream.on("error", end);
    this.outputDone = Promise.all([this.log.read(out, "stdout"), this.log.read(err, "stderr")]);
    try {
      await this.container.start();
    } catch (e) {
      stream.destroy();
      throw e;
    }
    this.started = true;
    void this.watchExit();
  }

  /** A stem's code is staged into its own directory; a fresh container was created with its code bound. */
  protected override async stageCode(spec: FunctionSpec, codeDir: string): Promise<string> {
    await this.init.stageStem?.(spec, codeDir);
    return TASK_ROOT;
  }

  /**
   * The container's cgroup peak (or its stats when the cgroup is not visible from here), read at
   * most every PEAK_READ_MS: a busy container's REPORTs share one read.
   */
  protected override async maxMemoryUsedBytes(): Promise<number | undefined> {
    const now = Date.now();
    if (this.peak !== undefined && now - this.peak.at < PEAK_READ_MS) return this.peak.bytes;
    const bytes = await containerMemoryPeak(this.container);
    this.peak = { at: now, bytes };
    return bytes;
  }

  protected override async onMemoryLimitChanged(): Promise<void> {
    await this.container.update(memoryLimits(this.memoryLimitMb));
  }

  protected terminate(signal: Signal): void {
    if (this.exitInfo) return;
    if (!this.started) {
      // Never started (start failed or was abandoned): nothing will exit, so end it here.
      this.finish(null, null);
      this.init.onGone(this);
      return;
    }
    this.container.kill({ signal }).catch(() => {
      // Already stopped, or Docker is unreachable: the exit watch settles it either way.
    });
  }

  private async watchExit(): Promise<void> {
    let status: number | null = null;
    for (let attempt = 0; ; attempt++) {
      try {
        // not-running: returns at once if the container already exited, so no exit is missed.
        const r = (await this.container.wait({ condition: "not-running" })) as { StatusCode?: number };
        status = r.StatusCode ?? null;
        break;
      } catch {
        if (attempt >= WAIT_RETRIES) break;
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
    await Promise.race([this.outputDone, new Promise((r) => setTimeout(r, OUTPUT_DRAIN_MS).unref())]);
    let oom = false;
    try {
      const info = await this.container.inspect();
      oom = info.State.OOMKilled === true;
      status = info.State.ExitCode ?? status;
    } catch {
      // Gone or unreachable: keep what the wait said.
    }
    this.finish(status, null, { oom });
    this.init.onGone(this);
  }
}
