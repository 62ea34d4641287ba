/**
 * The replica's live-tail hub: one subscription to FUNCTION_LOGS_LIVE_CHANNEL (where the ingest of
 * every replica republishes the rows it stored), fanned out as lines to the followers connected
 * here. A message is decoded only when someone follows. Closing the hub ends every follower with a final
 * `shutdown` event, so tails end cleanly when the control plane stops.
 */
import type { StateStore, Unsubscribe } from "../../../shared/state/state-store.ts";
import { ApiError } from "../../../protocol/errors.ts";
import { FUNCTION_LOGS_LIVE_CHANNEL } from "../../../protocol/function-logs.ts";
import type { LogPosition } from "../../../protocol/api/logs.ts";
import type { LogLineFilter } from "../db/index.ts";
import { decodeLiveRows } from "./live-rows.ts";
import { linesOf, type LogLine } from "./log-lines.ts";
import { LogFollower, type FollowerLimits } from "./log-follower.ts";

export interface FollowRequest {
  filter: LogLineFilter;
  /** Resume after this line (a cursor or Last-Event-ID); undefined: start with the newest lines. */
  after: LogPosition | undefined;
  backlog(after: LogPosition | undefined): Promise<LogLine[]>;
  /** Cuts the client's connection. */
  disconnect(): void;
}

export class LiveTail {
  private readonly followers = new Set<LogFollower>();
  private unsubscribe: Unsubscribe | undefined;
  private closed = false;

  constructor(
    private readonly state: StateStore,
    private readonly limits: FollowerLimits = {},
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.state.subscribe(FUNCTION_LOGS_LIVE_CHANNEL, (m) => this.deliver(m));
  }

  /** Followers connected to this replica now. */
  get size(): number {
    return this.followers.size;
  }

  /** A new tail; its `stream` is the SSE body. ServiceUnavailable once the hub is closed (shutting down). */
  follow(req: FollowRequest): LogFollower {
    if (this.closed) throw new ApiError("ServiceUnavailable", "This control plane is shutting down; follow the logs through another replica, or retry in a moment.");
    const follower: LogFollower = new LogFollower(
      { filter: req.filter, backlog: req.backlog, disconnect: req.disconnect, onEnd: () => this.followers.delete(follower) },
      req.after,
      this.limits,
    );
    this.followers.add(follower);
    return follower;
  }

  /** Ends every follower with a `shutdown` event and stops listening. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const f of [...this.followers]) f.end({ reason: "shutdown", message: "The control plane is shutting down. Reconnect with Last-Event-ID to resume on another replica." });
    await this.unsubscribe?.().catch(() => {});
  }

  private deliver(message: string): void {
    if (this.followers.size === 0) return;
    for (const row of decodeLiveRows(message)) for (const line of linesOf(row)) for (const f of this.followers) f.offer(line);
  }
}
