/**
 * One cgroup per instance, so memory, pids and the kill cover the instance's whole process tree.
 * Works on cgroup v1 (memory and pids controllers, as on hosts with a legacy hierarchy) and v2.
 * Groups nest under the runner's own cgroup (so the runner's own limits still apply to its
 * instances) as `hotswap/<runner id>.<owner tag>/<instance id>`: a runner that starts reaps the
 * groups whose owner process is gone, killing what a crashed predecessor left running.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ownerAlive } from "./host-processes.ts";

/** Where instance groups are created: one directory per controller hierarchy (one on v2). */
export interface CgroupHost {
  version: 1 | 2;
  /** The `hotswap` directory in each hierarchy: [memory, pids] on v1, [unified] on v2. */
  bases: string[];
}

/** Find a usable cgroup setup, or say why there is none. */
export function detectCgroups(root = "/sys/fs/cgroup"): CgroupHost | { reason: string } {
  let self: string;
  try {
    self = readFileSync("/proc/self/cgroup", "utf8");
  } catch {
    return { reason: "/proc/self/cgroup is unreadable (not Linux?)" };
  }
  const lines = self.trim().split("\n").map((l) => l.split(":"));
  const pathOf = (controller: string) => lines.find((l) => l[1]!.split(",").includes(controller))?.[2];
  const ownDir = (mount: string, own: string | undefined) => {
    // In a container without a cgroup namespace the mount is already our group: own path absent.
    const candidate = own ? join(mount, own) : mount;
    return existsSync(candidate) ? candidate : mount;
  };
  if (existsSync(join(root, "memory", "cgroup.procs")) && existsSync(join(root, "pids", "cgroup.procs"))) {
    const bases = [join(ownDir(join(root, "memory"), pathOf("memory")), "hotswap"), join(ownDir(join(root, "pids"), pathOf("pids")), "hotswap")];
    return probe({ version: 1, bases });
  }
  const unified = lines.find((l) => l[0] === "0" && l[1] === "")?.[2];
  if (existsSync(join(root, "cgroup.controllers"))) {
    const controllers = readFileSync(join(root, "cgroup.controllers"), "utf8").split(/\s+/);
    if (!controllers.includes("memory") || !controllers.includes("pids")) return { reason: "cgroup v2 without the memory and pids controllers" };
    const own = ownDir(root, unified);
    try {
      // Children of our group get the controllers; this fails (EBUSY) when our group holds processes
      // and is not the root: the runner then needs a delegated group of its own.
      enableV2Controllers(own);
    } catch (e) {
      return { reason: `cgroup v2: cannot enable memory and pids below ${own} (${(e as Error).message}); run the runner in a cgroup delegated to it` };
    }
    const host = probe({ version: 2, bases: [join(own, "hotswap")] });
    if ("reason" in host) return host;
    try {
      enableV2Controllers(host.bases[0]!);
    } catch (e) {
      return { reason: `cgroup v2: cannot enable memory and pids in ${host.bases[0]} (${(e as Error).message})` };
    }
    return host;
  }
  return { reason: "no cgroup v1 memory+pids hierarchy and no cgroup v2 at " + root };
}

function enableV2Controllers(dir: string): void {
  const enabled = readFileSync(join(dir, "cgroup.subtree_control"), "utf8").split(/\s+/);
  if (enabled.includes("memory") && enabled.includes("pids")) return;
  writeFileSync(join(dir, "cgroup.subtree_control"), "+memory +pids");
}

function probe(host: CgroupHost): CgroupHost | { reason: string } {
  for (const base of host.bases) {
    try {
      mkdirSync(base, { recursive: true });
    } catch (e) {
      return { reason: `cannot create ${base} (${(e as Error).message})` };
    }
  }
  return host;
}

/** Pids in a group's cgroup.procs (empty when it is gone). */
function procsOf(dir: string): number[] {
  try {
    return readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** SIGKILL everything in `dirs` until they are empty (bounded), then remove them. */
async function killAndRemove(dirs: string[], deadlineMs = 3000): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    let left = 0;
    for (const dir of dirs) {
      if (existsSync(join(dir, "cgroup.kill"))) {
        try {
          writeFileSync(join(dir, "cgroup.kill"), "1");
        } catch {
          // gone
        }
      }
      for (const pid of procsOf(dir)) {
        left++;
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // exited
        }
      }
    }
    if (left === 0 || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  let removed = true;
  for (const dir of dirs) {
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT") break;
        // EBUSY: the last task is still being torn down.
        if (i === 49) removed = false;
        else await new Promise((r) => setTimeout(r, 10));
      }
    }
  }
  return removed;
}

export class InstanceCgroup {
  private constructor(
    private readonly host: CgroupHost,
    /** One directory per hierarchy (v1: memory, pids; v2: one). */
    readonly dirs: string[],
  ) {}

  /** Create the group with its limits. Nothing is in it until join(). */
  static create(host: CgroupHost, owner: string, instanceId: string, limits: { memoryBytes: number; pidsMax: number }): InstanceCgroup {
    const dirs = host.bases.map((b) => join(b, owner, instanceId));
    for (const d of dirs) mkdirSync(d, { recursive: true });
    const group = new InstanceCgroup(host, dirs);
    group.setMemoryLimit(limits.memoryBytes);
    if (host.version === 1) {
      writeFileSync(join(dirs[1]!, "pids.max"), String(limits.pidsMax));
    } else {
      writeFileSync(join(dirs[0]!, "pids.max"), String(limits.pidsMax));
      tryWrite(join(dirs[0]!, "memory.swap.max"), "0");
    }
    return group;
  }

  /** Move `pid` into the group: call before it can run code that forks. */
  join(pid: number): void {
    for (const d of this.dirs) writeFileSync(join(d, "cgroup.procs"), String(pid));
  }

  /** Set the memory limit; lowering it below what the group uses may fail, and is then left as it was. */
  setMemoryLimit(bytes: number): void {
    if (this.host.version === 2) {
      tryWrite(join(this.dirs[0]!, "memory.max"), String(bytes));
      return;
    }
    const mem = this.dirs[0]!;
    const memsw = join(mem, "memory.memsw.limit_in_bytes");
    const hasSwapLimit = existsSync(memsw);
    // v1 requires memory <= memory+swap at every step: raise memsw first when growing, last when shrinking.
    if (hasSwapLimit) tryWrite(memsw, String(bytes));
    tryWrite(join(mem, "memory.limit_in_bytes"), String(bytes));
    if (hasSwapLimit) tryWrite(memsw, String(bytes));
  }

  /** Pids in the group. */
  pids(): number[] {
    return procsOf(this.dirs[0]!);
  }

  /** Send `signal` to every process in the group once. */
  signal(signal: NodeJS.Signals): void {
    for (const pid of this.pids()) {
      try {
        process.kill(pid, signal);
      } catch {
        // exited
      }
    }
  }

  /** Whether the kernel's OOM killer killed a process of this group. */
  oomKilled(): boolean {
    const file = this.host.version === 1 ? join(this.dirs[0]!, "memory.oom_control") : join(this.dirs[0]!, "memory.events");
    try {
      const m = /^oom_kill (\d+)/m.exec(readFileSync(file, "utf8"));
      return m !== null && Number(m[1]) > 0;
    } catch {
      return false;
    }
  }

  /** Kill everything in the group and remove it. Resolves false when it could not be removed. */
  destroy(): Promise<boolean> {
    return killAndRemove(this.dirs);
  }
}

/**
 * Kill and remove the groups of every runner process that is gone (any runner id: their owner tag
 * says whether they are alive). Returns how many instance groups were reaped.
 */
export async function reapDeadOwners(host: CgroupHost, ownTag: string): Promise<number> {
  let reaped = 0;
  const owners = new Set<string>();
  for (const base of host.bases) for (const name of safeReaddir(base)) owners.add(name);
  for (const owner of owners) {
    if (owner === ownTag || owner.endsWith(`.${ownTag}`) || ownerAlive(owner)) continue;
    const instances = new Set<string>();
    for (const base of host.bases) for (const name of safeReaddir(join(base, owner))) instances.add(name);
    for (const inst of instances) {
      if (await killAndRemove(host.bases.map((b) => join(b, owner, inst)))) reaped++;
    }
    for (const base of host.bases) {
      try {
        rmdirSync(join(base, owner));
      } catch {
        // not empty or gone
      }
    }
  }
  return reaped;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

function tryWrite(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch {
    // Unsupported here or refused (a limit below current usage): the RSS watch still applies.
  }
}
