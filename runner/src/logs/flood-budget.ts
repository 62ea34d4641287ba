/**
 * Per-instance log byte budget: a token bucket refilled at `rateBytes` per second up to
 * `burstBytes`. Output beyond it is read (so the function never blocks on a full pipe) and
 * dropped, and the bytes dropped are counted for the truncation marker.
 */

export interface FloodLimits {
  /** Sustained log bytes per second an instance may write (RUNNER_LOG_RATE_BYTES). */
  rateBytes: number;
  /** Bytes an instance may write at once above the rate (RUNNER_LOG_BURST_BYTES). */
  burstBytes: number;
}

/** 1 MiB/s sustained, 2 MiB bursts: far above what a log reader wants, far below a flood. */
export const DEFAULT_FLOOD_LIMITS: FloodLimits = { rateBytes: 1024 * 1024, burstBytes: 2 * 1024 * 1024 };

export class FloodBudget {
  private tokens: number;
  private last: number;
  /** Bytes dropped since the last truncation marker. */
  dropped = 0;

  constructor(
    readonly limits: FloodLimits,
    now: number,
  ) {
    this.tokens = limits.burstBytes;
    this.last = now;
  }

  /** How many of `bytes` may be kept at `now` (ms); the rest is counted as dropped. */
  take(bytes: number, now: number): number {
    if (now > this.last) {
      this.tokens = Math.min(this.limits.burstBytes, this.tokens + ((now - this.last) * this.limits.rateBytes) / 1000);
      this.last = now;
    }
    const kept = Math.max(0, Math.min(bytes, Math.floor(this.tokens)));
    this.tokens -= kept;
    this.dropped += bytes - kept;
    return kept;
  }

  /** The dropped count for a marker, reset to zero. */
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }
}

/** "1 MiB", "512 KiB", "300 B": the limit as the marker line states it. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}

/** The visible truncation marker (stream `platform`). */
export function droppedMessage(dropped: number, limits: FloodLimits): string {
  return `… ${dropped} bytes of log output dropped: the function wrote more than ${formatBytes(limits.rateBytes)}/s (bursts up to ${formatBytes(limits.burstBytes)})`;
}
