/** A well-formed runner heartbeat's JSON for tests of who trusts it (defaults: runner r1, ready, nothing running). */
import type { RunnerHeartbeat } from "../../protocol/fleet.ts";

export function heartbeatJson(over: Partial<RunnerHeartbeat> = {}): string {
  const hb: RunnerHeartbeat = {
    id: "r1",
    bootId: "boot-1",
    pool: "default",
    labels: {},
    address: "http://127.0.0.1:9001",
    backend: "process",
    state: "ready",
    capacity: { memoryMb: 1024, maxInstances: 8 },
    load: { inflight: 0, instances: 0, memoryMb: 0 },
    versions: [],
    stems: {},
    startedAt: Date.now(),
    at: Date.now(),
    seq: 1,
    intervalMs: 1000,
    ...over,
  };
  return JSON.stringify(hb);
}
