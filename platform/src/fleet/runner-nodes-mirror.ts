/**
 * Mirrors the live fleet into the runner_nodes table (the durable registry that survives restarts
 * and that GET /api/v1/runners?include=dead reads for runners no longer live). Leader-only, so
 * replicas do not all write the same rows: a row is written when a runner joins or changes state,
 * refreshed every 10 s, and marked `dead` or `stopped` when the runner leaves.
 */
import type { Repositories } from "../db/index.ts";
import type { LeaderLease } from "../../../shared/lease/leader-lease.ts";
import type { RunnerEntry, RunnerRegistry } from "./runner-registry.ts";

const REFRESH_MS = 10_000;

export class RunnerNodesMirror {
  private readonly written = new Map<string, { state: string; bootId: string; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private wasLeader = false;
  private readonly startedAt = Date.now();

  constructor(
    private readonly repos: Repositories,
    private readonly registry: RunnerRegistry,
    private readonly lease: LeaderLease,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sync(), 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; passes never overlap. */
  sync(): Promise<void> {
    this.running ??= this.pass()
      .catch((e) => this.log.warn({ err: e }, "runner_nodes mirror failed"))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const departures = this.registry.takeDepartures();
    if (!this.lease.isLeader()) {
      this.wasLeader = false;
      this.written.clear();
      return;
    }
    const now = Date.now();
    for (const d of departures) {
      await this.repos.runnerNodes.markStatus(d.id, d.reason);
      this.written.delete(d.id);
    }
    const live = this.registry.live();
    for (const r of live) {
      const state = r.suspect ? "unreachable" : r.hb.state;
      const w = this.written.get(r.id);
      if (w !== undefined && w.state === state && w.bootId === r.hb.bootId && now - w.at < REFRESH_MS) continue;
      await this.repos.runnerNodes.upsert(row(r, state));
      this.written.set(r.id, { state, bootId: r.hb.bootId, at: now });
    }
    if (!this.wasLeader && now - this.startedAt > 3 * 1000) {
      // New term: rows a previous leader left as live but whose runner is silent are dead.
      this.wasLeader = true;
      const liveIds = new Set(live.map((r) => r.id));
      for (const n of await this.repos.runnerNodes.list()) {
        if ((n.status === "ready" || n.status === "draining" || n.status === "unreachable") && !liveIds.has(n.id)) {
          await this.repos.runnerNodes.markStatus(n.id, "dead");
        }
      }
    }
  }
}

function row(r: RunnerEntry, status: string) {
  const hb = r.hb;
  return {
    id: hb.id,
    pool: hb.pool,
    labels: hb.labels,
    address: hb.address,
    backend: hb.backend,
    capacity: hb.capacity,
    status,
    metadata: { bootId: hb.bootId, startedAt: new Date(hb.startedAt).toISOString(), load: hb.load, version: hb.version ?? null },
  };
}
