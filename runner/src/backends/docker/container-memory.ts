/**
 * A container's peak memory for REPORT's Max Memory Used. Cheapest first: the memory cgroup's own
 * high-water mark, read from /sys/fs/cgroup when the runner shares the host with dockerd (cgroup
 * v1 memory.max_usage_in_bytes; v2 memory.peak, under the cgroupfs or the systemd driver's path).
 * Otherwise one non-streaming stats call (its max_usage on v1, current usage on v2).
 */
import { readFile } from "node:fs/promises";
import type Docker from "dockerode";

const CGROUP_ROOT = "/sys/fs/cgroup";

/** Where a container's peak may be, in the order tried. */
export function peakPaths(containerId: string): string[] {
  return [
    `${CGROUP_ROOT}/memory/docker/${containerId}/memory.max_usage_in_bytes`,
    `${CGROUP_ROOT}/system.slice/docker-${containerId}.scope/memory.peak`,
    `${CGROUP_ROOT}/docker/${containerId}/memory.peak`,
  ];
}

/** Which of peakPaths() answered before (one layout per host): later calls skip the misses. */
let knownLayout: number | undefined;

export async function containerMemoryPeak(container: Docker.Container): Promise<number | undefined> {
  const paths = peakPaths(container.id);
  const order = knownLayout === undefined ? paths.map((_, i) => i) : [knownLayout];
  for (const i of order) {
    try {
      const n = Number.parseInt(await readFile(paths[i], "utf8"), 10);
      if (Number.isFinite(n) && n > 0) {
        knownLayout = i;
        return n;
      }
    } catch {
      // not this layout, or the container is gone
    }
  }
  try {
    const stats = (await container.stats({ stream: false, "one-shot": true } as { stream: false })) as { memory_stats?: { max_usage?: number; usage?: number } };
    return stats.memory_stats?.max_usage ?? stats.memory_stats?.usage;
  } catch {
    return undefined;
  }
}
