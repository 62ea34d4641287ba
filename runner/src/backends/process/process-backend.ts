/**
 * Execution backend that runs instances as child processes on this host: HotSwap's node,
 * python and ruby bootstraps over the fast channel (a socketpair on fd 3) or the Lambda Runtime API, and
 * `provided` custom runtimes (the zip's own `bootstrap`) over the Runtime API. Each instance gets a
 * scrubbed environment, a memory limit (V8 heap flag plus an RSS watch) and its own process group;
 * with a sandbox (runner/src/sandbox/) also its own uid, temp dir and cgroup.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import type { RuntimeAvailability } from "../../../../protocol/runner.ts";
import { runtimeFamily, supportsProtocol, type RuntimeId } from "../../../../protocol/runtimes.ts";
import { BackendUnavailableError, InitError, type ExecutionBackend, type Instance, type StartOptions } from "../backend.ts";
import { FastChannel } from "../../channel/fast-channel.ts";
import { RuntimeApiServer } from "../../channel/runtime-api-server.ts";
import { buildChildEnv } from "../common/child-env.ts";
import type { FunctionLogOutput } from "../../logs/instance-log.ts";
import { nodeHeapMb } from "../common/node-heap.ts";
import { javaArgs } from "../common/java-options.ts";
import { checkBootstrap } from "../common/provided-bootstrap.ts";
import type { InstanceSandbox, Sandbox } from "../../sandbox/index.ts";
import { MemoryWatch } from "./memory-watch.ts";
import { ProcessInstance } from "./process-instance.ts";
import { discoverRuntimes, type DiscoveryOptions, type Interpreter } from "./runtime-discovery.ts";

const DEFAULT_RUNTIMES_DIR = fileURLToPath(new URL("../../../../runtimes/", import.meta.url));

export interface ProcessBackendOptions extends DiscoveryOptions {
  /** Where every instance's function-log records go, and the flood limits. Default: records are dropped. */
  logOutput?: FunctionLogOutput;
  /** Bound on bootstrap start plus handler load. Default 10 000 ms (Lambda's init budget). */
  initTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL in Instance.stop(). Default 2000 ms. */
  stopGraceMs?: number;
  /** How often the RSS of each instance is sampled. Default 100 ms. */
  memoryWatchIntervalMs?: number;
  /** Where the bootstraps live (`node/bootstrap.mjs`, `python/bootstrap.py`, `ruby/bootstrap.rb`). Default: the repo's runtimes/. */
  runtimesDir?: string;
  /** PATH given to instances after the interpreter's own directory. Default: the standard system dirs. */
  childPath?: string;
  /** Working directory of stems before they are specialised. Default: the OS temp dir (the instance's own temp dir when sandboxed). */
  stemDir?: string;
  /**
   * Runs each instance as its own uid with its own temp dir and cgroup (Sandbox.open decides what
   * the host allows). Default: none, instances run as the runner's user (tests, trusted code).
   */
  sandbox?: Sandbox;
}

/**
 * Holds a Runtime API instance at the door until the runner has put it in its cgroup: `sh` waits
 * for one line on stdin, then execs the real command under the same pid. Fast-channel instances
 * need no gate: they load user code only when the runner sends init.
 */
const CGROUP_GATE = 'read -r _ && exec "$0" "$@"';

export { nodeHeapMb };

export class ProcessBackend implements ExecutionBackend {
  readonly kind = "process" as const;
  private readonly opts: ProcessBackendOptions;
  private readonly runtimesDir: string;
  private readonly memoryWatch: MemoryWatch;
  private readonly instances = new Set<ProcessInstance>();
  private discovery: Promise<(RuntimeAvailability & { interpreter?: Interpreter })[]> | undefined;
  private closed = false;

  constructor(opts: ProcessBackendOptions = {}) {
    this.opts = opts;
    this.runtimesDir = opts.runtimesDir ?? DEFAULT_RUNTIMES_DIR;
    this.memoryWatch = new MemoryWatch(opts.memoryWatchIntervalMs ?? 100);
  }

  async runtimes(): Promise<RuntimeAvailability[]> {
    const found = await this.discover();
    return found.map(({ interpreter: _omit, ...availability }) => availability);
  }

  async healthCheck(): Promise<void> {
    for (const file of ["node/bootstrap.mjs", "python/bootstrap.py", "ruby/bootstrap.rb"]) {
      try {
        accessSync(path.join(this.runtimesDir, file), constants.R_OK);
      } catch {
        throw new Error(`process backend: bootstrap ${path.join(this.runtimesDir, file)} is missing; the runtimes/ directory must ship with the runner`);
      }
      if (this.opts.sandbox?.isolating) {
        const blocked = notReadableByOthers(path.join(this.runtimesDir, file));
        if (blocked) throw new Error(`process backend: sandboxed instances cannot read ${path.join(this.runtimesDir, file)}: ${blocked}`);
      }
    }
    const found = await this.discover();
    if (!found.some((r) => r.available && r.id !== "provided")) {
      throw new Error(`process backend: no Node.js or Python interpreter works on this host (${found.map((r) => r.reason).join("; ")})`);
    }
  }

  /** Live instances, for diagnostics and tests. */
  get liveInstances(): readonly ProcessInstance[] {
    return [...this.instances];
  }

  async start(opts: StartOptions): Promise<Instance> {
    if (this.closed) throw new BackendUnavailableError("the process backend is closed", "ServiceUnavailable");
    const { runtime, protocol, spec, codeDir } = opts;
    if (!supportsProtocol(runtime, protocol)) {
      throw new BackendUnavailableError(`runtime ${runtime} does not support the ${protocol} protocol`);
    }
    if (spec && !codeDir) throw new Error("start(): a spec needs its codeDir");
    if (!spec && protocol !== "fast") throw new Error("start(): stems (no spec) exist only for the fast protocol");
    const family = runtimeFamily(runtime);
    const availability = (await this.discover()).find((r) => r.id === runtime);
    if (!availability?.available) {
      throw new BackendUnavailableError(availability?.reason ?? `runtime ${runtime} is unknown`);
    }
    const memorySize = spec?.memorySize ?? opts.memorySize;
    const id = `proc-${randomBytes(6).toString("hex")}`;

    let box: InstanceSandbox | undefined;
    // What the instance sees as its code: sandboxed, a view of the cached tree only its gid can open.
    let taskRoot = codeDir;
    // Its layers (Lambda's /opt): a process has no /opt of its own, so the instance is pointed at
    // the merged tree (sandboxed, its own read-only view of it) through HOTSWAP_LAYERS_DIR and the search paths.
    let layersDir = spec ? opts.layersDir : undefined;
    try {
      box = await this.opts.sandbox?.prepare(id, memorySize);
      if (box && spec) taskRoot = box.stageCode(codeDir!);
      if (box && layersDir !== undefined) layersDir = box.stageLayers(layersDir);
    } catch (err) {
      await box?.release();
      throw new BackendUnavailableError(`cannot prepare the sandbox of an instance: ${(err as Error).message}`);
    }

    let server: RuntimeApiServer | undefined;
    let command: string;
    let args: string[] = [];
    let interpreterDir: string | undefined;
    if (family === "provided") {
      command = path.join(taskRoot!, "bootstrap");
      try {
        checkBootstrap(command);
      } catch (err) {
        await box?.release();
        throw err;
      }
    } else {
      const interp = availability.interpreter!;
      command = interp.path;
      interpreterDir = path.dirname(interp.path);
      args =
        family === "node"
          ? [`--max-old-space-size=${nodeHeapMb(memorySize)}`, path.join(this.runtimesDir, "node", "bootstrap.mjs")]
          : family === "ruby"
            ? [path.join(this.runtimesDir, "ruby", "bootstrap.rb")]
          : family === "java"
            ? javaArgs(memorySize, interp.classpath!)
            : ["-B", path.join(this.runtimesDir, "python", "bootstrap.py")];
    }
    const channelEnv: Record<string, string> = {};
    if (protocol === "runtime-api") {
      server = await RuntimeApiServer.start({
        functionName: spec!.functionName,
        // Sandboxed, the instance is the only process running as its uid: answer no one else.
        ...(box ? { allowedUid: box.user.uid } : {}),
      });
      channelEnv.AWS_LAMBDA_RUNTIME_API = server.address;
    } else {
      channelEnv.HOTSWAP_CHANNEL_FD = "3";
      // A Node stem warms its runtime up (loaders, invoke path, common modules) before it says hello;
      // its bootstrap removes the variable, so the function never sees it.
      if (!spec && family === "node") channelEnv.HOTSWAP_STEM = "1";
    }
    const runtimeDir = family === "provided" ? taskRoot : path.join(this.runtimesDir, family);
    const env = buildChildEnv({
      interpreterDir,
      basePath: this.opts.childPath,
      memorySize,
      spec,
      codeDir: taskRoot,
      layersDir,
      channel: channelEnv,
      initializationType: opts.initializationType,
      runtimeDir,
    });

    const gated = box?.cgroup !== undefined && protocol !== "fast";
    let child: ChildProcess;
    try {
      child = await spawnChild(gated ? "/bin/sh" : command, gated ? ["-c", CGROUP_GATE, command, ...args] : args, {
        cwd: taskRoot ?? box?.tmpDir ?? this.opts.stemDir ?? tmpdir(),
        env: box ? { ...env, ...box.env } : env,
        stdio: protocol === "fast" ? ["ignore", "pipe", "pipe", "pipe"] : [gated ? "pipe" : "ignore", "pipe", "pipe"],
        ...(box ? { uid: box.user.uid, gid: box.user.gid } : {}),
      });
    } catch (err) {
      await server?.close();
      await box?.release();
      const e = err as NodeJS.ErrnoException;
      if (family === "provided") {
        throw new InitError(`Couldn't start the bootstrap ${command}: ${e.message}. Check its #! line and that it is built for this platform.`, "Runtime.InvalidEntrypoint");
      }
      throw new BackendUnavailableError(`cannot start ${command} for ${runtime}: ${e.message}`);
    }

    if (box) {
      try {
        // Before any user code runs: fast instances wait for init, Runtime API ones at the gate.
        box.join(child.pid!);
        if (gated) child.stdin!.end("go\n");
      } catch (err) {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
        await box.release();
        await server?.close();
        throw new BackendUnavailableError(`cannot put the instance in its cgroup: ${(err as Error).message}`);
      }
    }

    const instance = new ProcessInstance({
      id,
      runtime,
      protocol,
      memorySize,
      child,
      spec: protocol === "fast" ? undefined : spec,
      logOutput: this.opts.logOutput,
      memoryWatch: this.memoryWatch,
      initTimeoutMs: this.opts.initTimeoutMs ?? 10_000,
      defaultStopGraceMs: this.opts.stopGraceMs ?? 2000,
      runtimeDir,
      sandbox: box,
    });
    const fast = server ? undefined : new FastChannel(child.stdio[3] as unknown as Duplex, { closedResult: () => instance.deathResult() });
    instance.attach(server ?? fast!, fast);
    this.instances.add(instance);
    void instance.exited.then(() => this.instances.delete(instance));
    if (this.closed) {
      // close() ran while this instance was being spawned: it must not outlive the backend.
      instance.kill("killed");
      await instance.exited;
      throw new BackendUnavailableError("the process backend is closed", "ServiceUnavailable");
    }

    if (server) {
      await instance.untilReady(server.ready, "waiting for the first /next");
      return instance;
    }
    await instance.untilReady(fast!.hello, "waiting for the bootstrap's hello");
    if (spec) await instance.specialise(spec, codeDir!, { initializationType: opts.initializationType });
    return instance;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.instances];
    for (const i of all) i.kill("killed");
    await Promise.all(all.map((i) => i.exited));
    this.memoryWatch.close();
  }

  private discover() {
    // Sandboxed, an interpreter counts only if a sandbox user can run it (one under /root cannot).
    this.discovery ??= this.opts.sandbox
      ? this.opts.sandbox.asSandboxUser((runAs) => discoverRuntimes({ runtimesDir: this.runtimesDir, ...this.opts, runAs }))
      : discoverRuntimes({ runtimesDir: this.runtimesDir, ...this.opts });
    return this.discovery;
  }
}

/** Why users other than the owner cannot read `file` (a directory on its path without o+x, the file without o+r), or undefined. */
function notReadableByOthers(file: string): string | undefined {
  const abs = path.resolve(file);
  let dir = path.dirname(abs);
  for (;;) {
    if ((statSync(dir).mode & 0o001) === 0) return `${dir} is not searchable by others (chmod o+x ${dir})`;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return (statSync(abs).mode & 0o004) === 0 ? `it is not readable by others (chmod o+r ${abs})` : undefined;
}

/** Spawn and wait for the 'spawn' event, so ENOENT/EACCES surface as a rejection. */
function spawnChild(command: string, args: string[], options: Parameters<typeof spawn>[2]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, detached: true });
    child.once("spawn", () => {
      child.removeListener("error", reject);
      child.on("error", () => {}); // later errors (kill of a dead pid) are irrelevant
      resolve(child);
    });
    child.once("error", reject);
  });
}
