/**
 * Enforces memory limits on instance processes by sampling their resident set size.
 * One shared, unref'd timer serves every watched process, so a thousand instances cost one timer
 * and a thousand small /proc reads per interval, not a thousand timers.
 */
import { readFileSync } from "node:fs";

interface Watched {
  pid: number;
  limitBytes: number;
  onExceeded: (rssBytes: number) => void;
  /** Highest RSS sampled since the watch began (REPORT's Max Memory Used). */
  peakBytes: number;
}

/** Resident set size of a process in bytes, from /proc/<pid>/status; undefined if it is gone. */
export function readRssBytes(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "latin1");
  } catch {
    return undefined;
  }
  const at = text.indexOf("VmRSS:");
  if (at < 0) return undefined; // a zombie has no VmRSS
  const kb = Number.parseInt(text.slice(at + 6, text.indexOf("\n", at)).trim(), 10);
  return Number.isFinite(kb) ? kb * 1024 : undefined;
}

export class MemoryWatch {
  private readonly watched = new Map<number, Watched>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 50) {}

  /** Watch `pid`; `onExceeded` is called once when its RSS exceeds `limitBytes`. Returns an unwatch function. */
  watch(pid: number, limitBytes: number, onExceeded: (rssBytes: number) => void): () => void {
    // A re-watch (new limit after specialisation) keeps the peak seen so far.
    // A first sample now: a process that dies before the timer's first tick still has a peak.
    const peakBytes = Math.max(this.watched.get(pid)?.peakBytes ?? 0, readRssBytes(pid) ?? 0);
    this.watched.set(pid, { pid, limitBytes, onExceeded, peakBytes });
    if (!this.timer) {
      this.timer = setInterval(() => this.sample(), this.intervalMs);
      this.timer.unref();
    }
    return () => this.unwatch(pid);
  }

  unwatch(pid: number): void {
    this.watched.delete(pid);
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Check every watched process now (also used by tests). */
  sample(): void {
    for (const w of [...this.watched.values()]) {
      const rss = readRssBytes(w.pid);
      if (rss === undefined) continue;
      if (rss > w.peakBytes) w.peakBytes = rss;
      if (rss > w.limitBytes) {
        this.unwatch(w.pid);
        w.onExceeded(rss);
      }
    }
  }

  /**
   * Peak RSS of a watched process in bytes: the highest sample (read now only when none was taken
   * yet, so REPORT costs no /proc read on the warm path). Undefined when it is not watched.
   */
  peakBytes(pid: number): number | undefined {
    const w = this.watched.get(pid);
    if (w === undefined) return undefined;
    if (w.peakBytes === 0) w.peakBytes = readRssBytes(pid) ?? 0;
    return w.peakBytes;
  }

  close(): void {
    this.watched.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
