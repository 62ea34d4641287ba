/**
 * The process backend's sandbox: what keeps a function instance away from the runner, the data
 * dir and other functions when instances are child processes on the runner's host.
 *
 * As root, every instance gets a uid (and gid) of its own from RUNNER_SANDBOX_UID_RANGE, a
 * private 0700 temp dir (TMPDIR, HOME) outside the data dir, a view of its code that only it can
 * open (code-view.ts), and, where the host has cgroups, a
 * cgroup of its own whose memory and pids limits and whose kill cover its whole process tree.
 * The uid is per instance, not per function version: stems start before anyone knows which
 * version they will run, and two instances of one version then cannot see each other's temp files
 * either. Without root (or with RUNNER_SANDBOX=off) nothing is isolated: the backend still runs,
 * and open() logs one warning that it suits trusted code only.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCodeView } from "./code-view.ts";
import { detectCgroups, InstanceCgroup, reapDeadOwners, type CgroupHost } from "./cgroups.ts";
import { ownerAlive, ownerTag, signalUid } from "./host-processes.ts";
import { UidClaims, type UidRange } from "./uid-claims.ts";

export interface SandboxLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SandboxOptions {
  /** "auto": isolate when the runner runs as root; "off": never (trusted code only). */
  mode: "auto" | "off";
  uidRange: UidRange;
  /** Most processes and threads an instance's tree may have (cgroup pids.max). */
  pidsMax: number;
  runnerId: string;
  /** Where uid claims and instance temp dirs live. @default <os tmpdir>/hotswap-sandbox */
  stateDir?: string;
  /** @default /sys/fs/cgroup */
  cgroupRoot?: string;
  log?: SandboxLog;
}

/** The identity a sandboxed process runs as. */
export interface SandboxUser {
  uid: number;
  gid: number;
}

/** Memory the cgroup allows above memorySize: the RSS watch stops the instance process itself at memorySize; the group bounds the tree (page cache and helper processes included). */
export function cgroupMemoryBytes(memoryMb: number): number {
  return (memoryMb + Math.max(64, Math.ceil(memoryMb / 4))) * 1024 * 1024;
}

export class Sandbox {
  /** Instances run as their own uid. */
  readonly isolating: boolean;
  /** Instances get their own cgroup. */
  readonly cgroups: CgroupHost | undefined;
  /** Why isolation or cgroups are off, as logged at open. */
  readonly warning: string | undefined;
  private readonly owner: string;

  private constructor(
    private readonly opts: SandboxOptions,
    private readonly stateDir: string,
    private readonly claims: UidClaims | undefined,
    cgroups: CgroupHost | undefined,
    warning: string | undefined,
  ) {
    this.isolating = claims !== undefined;
    this.cgroups = cgroups;
    this.warning = warning;
    this.owner = `${opts.runnerId}.${ownerTag()}`;
  }

  /**
   * Decide what this host allows, reap what crashed runners left (their uids' processes, cgroups
   * and temp dirs), and log once what instances are isolated from.
   */
  static async open(opts: SandboxOptions): Promise<Sandbox> {
    const log = opts.log;
    const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
    const stateDir = opts.stateDir ?? join(tmpdir(), "hotswap-sandbox");
    if (opts.mode === "off" || !isRoot || process.platform !== "linux") {
      const why = opts.mode === "off" ? "RUNNER_SANDBOX=off" : process.platform !== "linux" ? "the host is not Linux" : "the runner does not run as root";
      const warning =
        `process backend: no sandbox (${why}): function instances run as the runner's own user and can read its environment, ` +
        "the data dir and other functions' code, and their limits cover only the instance process. This isolates nothing and suits " +
        "trusted code only; in production run the runner as root (each instance then gets its own uid and cgroup) or use RUNNER_BACKEND=docker.";
      log?.warn({ sandbox: "off" }, warning);
      return new Sandbox(opts, stateDir, undefined, undefined, warning);
    }
    prepareStateDir(stateDir);
    const self = `${opts.runnerId}.${ownerTag()}`;
    const claims = new UidClaims(join(stateDir, "uids"), opts.uidRange, self);
    const reapedUids = await claims.reapDead();
    reapTempDirs(join(stateDir, "tmp"));
    reapTempDirs(join(stateDir, "code"));
    const found = detectCgroups(opts.cgroupRoot);
    let cgroups: CgroupHost | undefined;
    let warning: string | undefined;
    let reapedGroups = 0;
    if ("reason" in found) {
      warning =
        `process backend: no cgroups (${found.reason}): each instance runs as its own uid, but its memory limit covers only the ` +
        "instance process and its children are reaped by uid, not by cgroup. Give the runner cgroup v2 (memory, pids) or v1 memory and pids.";
      log?.warn({ sandbox: "uid" }, warning);
    } else {
      cgroups = found;
      reapedGroups = await reapDeadOwners(found, ownerTag());
      log?.info({ sandbox: "uid+cgroup", cgroup: `v${found.version}`, uids: `${opts.uidRange.first}-${opts.uidRange.last}` }, "process backend sandbox: one uid and one cgroup per instance");
    }
    if (reapedUids.length > 0 || reapedGroups > 0) {
      log?.warn({ uids: reapedUids.length, cgroups: reapedGroups }, "reaped instances left by a runner that is gone");
    }
    return new Sandbox(opts, stateDir, claims, cgroups, warning);
  }

  /** A fresh sandbox for one instance; undefined when the sandbox is off. */
  async prepare(instanceId: string, memoryMb: number): Promise<InstanceSandbox | undefined> {
    if (!this.claims) return undefined;
    const uid = await this.claims.claim();
    const user = { uid, gid: uid };
    let cgroup: InstanceCgroup | undefined;
    const tmpDir = join(this.stateDir, "tmp", this.owner, instanceId);
    try {
      for (const area of ["tmp", "code"]) {
        mkdirSync(join(this.stateDir, area, this.owner), { recursive: true, mode: 0o711 });
        chmodSync(join(this.stateDir, area, this.owner), 0o711);
      }
      mkdirSync(tmpDir, { mode: 0o700 });
      chownSync(tmpDir, uid, uid);
      chmodSync(tmpDir, 0o700);
      if (this.cgroups) {
        cgroup = InstanceCgroup.create(this.cgroups, this.owner, instanceId, { memoryBytes: cgroupMemoryBytes(memoryMb), pidsMax: this.opts.pidsMax });
      }
    } catch (e) {
      await cgroup?.destroy();
      rmSync(tmpDir, { recursive: true, force: true });
      await this.claims.release(uid);
      throw e;
    }
    return new InstanceSandbox(user, tmpDir, join(this.stateDir, "code", this.owner, instanceId), cgroup, this.claims);
  }

  /** Run `fn` as a sandbox user (interpreter probes), or as the runner itself when the sandbox is off. */
  async asSandboxUser<T>(fn: (user: SandboxUser | undefined) => Promise<T>): Promise<T> {
    if (!this.claims) return fn(undefined);
    const uid = await this.claims.claim();
    try {
      return await fn({ uid, gid: uid });
    } finally {
      await this.claims.release(uid);
    }
  }
}

/** One instance's uid, temp dir and cgroup, released together when the instance ends. */
export class InstanceSandbox {
  private released: Promise<void> | undefined;

  private viewOf: string | undefined;
  private layersOf: string | undefined;

  constructor(
    readonly user: SandboxUser,
    readonly tmpDir: string,
    /** Where stageCode() puts the instance's view of its code. */
    private readonly viewDir: string,
    readonly cgroup: InstanceCgroup | undefined,
    private readonly claims: UidClaims,
  ) {}

  /** The instance's own view of the cached tree `codeDir` (made once); its path is the task root. */
  stageCode(codeDir: string): string {
    if (this.viewOf === codeDir) return this.viewDir;
    if (this.viewOf !== undefined) throw new Error(`instance already has the code of ${this.viewOf}`);
    createCodeView(codeDir, this.viewDir, this.user.gid);
    this.viewOf = codeDir;
    return this.viewDir;
  }

  /**
   * The instance's own view of its merged layer tree (made once), beside its code view and
   * read-only like it: what Lambda shows at /opt.
   */
  stageLayers(layersDir: string): string {
    const dest = `${this.viewDir}.opt`;
    if (this.layersOf === layersDir) return dest;
    if (this.layersOf !== undefined) throw new Error(`instance already has the layers of ${this.layersOf}`);
    createCodeView(layersDir, dest, this.user.gid);
    this.layersOf = layersDir;
    return dest;
  }

  /** Variables that point the instance at its private temp dir. */
  get env(): Record<string, string> {
    return { TMPDIR: this.tmpDir, HOME: this.tmpDir };
  }

  /** Put the instance process in its cgroup; before it runs any user code. */
  join(pid: number): void {
    this.cgroup?.join(pid);
  }

  setMemoryLimit(memoryMb: number): void {
    this.cgroup?.setMemoryLimit(cgroupMemoryBytes(memoryMb));
  }

  /**
   * Signal the instance's whole tree: everything in its cgroup (an unprivileged process cannot leave
   * it), or without one every process of its uid (a /proc scan).
   */
  signalAll(signal: NodeJS.Signals): void {
    if (this.cgroup) this.cgroup.signal(signal);
    else void signalUid(this.user.uid, signal, { maxPasses: 1 });
  }

  oomKilled(): boolean {
    return this.cgroup?.oomKilled() ?? false;
  }

  /** Kill what is left of the tree, remove the cgroup and the temp dir, and free the uid. Idempotent. */
  release(): Promise<void> {
    this.released ??= (async () => {
      // An emptied cgroup is proof enough that nothing of the uid is left; otherwise sweep by uid.
      const emptied = (await this.cgroup?.destroy()) ?? false;
      await this.claims.release(this.user.uid, { sweep: !emptied });
      rmSync(this.tmpDir, { recursive: true, force: true });
      rmSync(this.viewDir, { recursive: true, force: true });
      rmSync(`${this.viewDir}.opt`, { recursive: true, force: true });
    })();
    return this.released;
  }
}

/** The state dir must be root's and not writable by others: a planted directory or symlink would let a user redirect uid claims. */
function prepareStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== 0) {
    throw new Error(`sandbox state dir ${dir} is not a directory owned by root; remove it or set another location`);
  }
  chmodSync(dir, 0o711);
  for (const area of ["tmp", "code"]) {
    mkdirSync(join(dir, area), { recursive: true, mode: 0o711 });
    chmodSync(join(dir, area), 0o711);
  }
  // Node looks for the nearest package.json above a task root: code without one loads as
  // CommonJS, as on Lambda (and as from the code cache).
  writeFileSync(join(dir, "code", "package.json"), '{ "type": "commonjs" }\n', { mode: 0o644 });
  chmodSync(join(dir, "code", "package.json"), 0o644);
}

/** Remove the temp dirs of runner processes that are gone. */
function reapTempDirs(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name !== "package.json" && !ownerAlive(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}
