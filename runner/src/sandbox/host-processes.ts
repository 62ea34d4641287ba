/**
 * What the sandbox needs to know about processes on this host, read from /proc: who a process
 * runs as, whether a given process (pid plus start time, so a reused pid does not count) is still
 * alive, and how to end every process of one uid. A sandbox uid belongs to exactly one instance,
 * so "every process of that uid" is the instance's whole tree, including a grandchild that called
 * setsid() to leave its process group: this is how the tree is reaped even without cgroups.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined when it is gone. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); field 22 is fields[19].
    if (fields[0] === "Z") return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/**
 * A tag naming this process for as long as it lives: `<pid>.<start time>`. Leftovers (cgroups,
 * uid claims, temp dirs) carry their owner's tag, so a runner tells a crashed predecessor's from
 * those of another runner still running on the host.
 */
export function ownerTag(pid = process.pid): string {
  return `${pid}.${processStartTime(pid) ?? 0}`;
}

/** Whether the process named by an ownerTag() still runs. */
export function ownerAlive(tag: string): boolean {
  const [pid, start] = tag.split(".").slice(-2).map(Number);
  if (!Number.isInteger(pid) || pid! <= 0) return false;
  return processStartTime(pid!) === start;
}

/** Pids whose real or effective uid is `uid` (zombies excluded). */
export function processesOfUid(uid: number): number[] {
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${name}/status`, "latin1");
    } catch {
      continue; // exited while we looked
    }
    if (/^State:\s+Z/m.test(status)) continue;
    const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
    if (m && (Number(m[1]) === uid || Number(m[2]) === uid)) out.push(Number(name));
  }
  return out;
}

/**
 * Signal every process of `uid` until none is left (SIGKILL) or once (another signal). A process
 * forking in a loop is caught by the next pass; the pids limit bounds how many passes it takes.
 * Returns how many processes were signalled in all.
 */
export async function signalUid(uid: number, signal: NodeJS.Signals, opts: { maxPasses?: number } = {}): Promise<number> {
  if (uid === 0) throw new Error("refusing to signal every process of uid 0");
  let total = 0;
  const passes = signal === "SIGKILL" ? (opts.maxPasses ?? 50) : 1;
  for (let pass = 0; pass < passes; pass++) {
    const pids = processesOfUid(uid);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
        total++;
      } catch {
        // gone already
      }
    }
    if (signal === "SIGKILL") await new Promise((r) => setTimeout(r, 5));
  }
  return total;
}
