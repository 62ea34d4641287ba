/**
 * The runner's heartbeat: every interval, its latest status goes into a state-store hash that
 * expires after 3 missed beats (how a control plane that starts later finds the live runners)
 * and onto the heartbeat channel (how every control plane learns of changes within a beat).
 * A beat that fails (Redis briefly away) is logged and the next one tries again. Every beat is
 * signed under the cluster secret (protocol/heartbeat-signature.ts): control planes trust no other.
 */
import type { StateStore } from "../../../shared/state/state-store.ts";
import { HEARTBEAT_CHANNEL, MISSED_HEARTBEATS_DEAD, runnerKey, type RunnerHeartbeat } from "../../../protocol/fleet.ts";
import { signHeartbeat } from "../../../protocol/heartbeat-signature.ts";

export class HeartbeatPublisher {
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly state: StateStore,
    private readonly build: (seq: number) => RunnerHeartbeat,
    private readonly intervalMs: number,
    private readonly log: { warn(obj: object, msg: string): void },
    /** HOTSWAP_CLUSTER_SECRET: every beat is signed with it. */
    private readonly secret: string,
  ) {}

  /** Beat now (rejects when the state store is unreachable, so start-up fails fast), then every interval. */
  async start(): Promise<void> {
    await this.publish();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
  }

  /** Publish a beat now, e.g. when the runner starts draining; never rejects. */
  beat(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    // One beat at a time: a slow Redis must not pile up writes.
    this.inFlight ??= this.publish()
      .catch((e: unknown) => this.log.warn({ err: e }, "heartbeat failed"))
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Stop beating and deregister: the key goes, and control planes hear the final `stopped` state. */
  async stop(final: RunnerHeartbeat): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.inFlight;
    await this.state.del(runnerKey(final.id)).catch(() => {});
    const notice = JSON.stringify({ ...final, state: "stopped", seq: this.seq + 1, at: Date.now() });
    await this.state.publish(HEARTBEAT_CHANNEL, signHeartbeat(notice, this.secret)).catch(() => {});
  }

  private async publish(): Promise<void> {
    const hb = this.build(++this.seq);
    const text = signHeartbeat(JSON.stringify(hb), this.secret);
    await this.state.hset(runnerKey(hb.id), { hb: text }, { ttlMs: this.intervalMs * MISSED_HEARTBEATS_DEAD });
    await this.state.publish(HEARTBEAT_CHANNEL, text);
  }
}
