/**
 * The hard deadline of a shutdown, shared by `hotswap server` and `hotswap runner`: a graceful
 * close gets HOTSWAP_SHUTDOWN_GRACE plus a short margin to finish; past that, the process logs
 * what was still open and exits with code 1, so a stuck close (a connection that never ends, a
 * store that never answers) can never keep it running after SIGTERM.
 *
 * Two clocks, because one is not enough: a timer on the main thread, which can log what is open,
 * and a watchdog on a worker thread, which still fires when the main thread itself is stuck in a
 * synchronous loop (the case where even a second SIGTERM does nothing) and then SIGKILLs the process.
 */
import { Worker } from "node:worker_threads";

/** Time after the grace period for closing what is left (instances, listeners, stores). */
export const FORCE_MARGIN_MS = 3000;
/** Further time the worker-thread watchdog gives the main thread's own deadline. */
export const WATCHDOG_MARGIN_MS = 1500;

/** Exit code of a shutdown that had to be forced. */
export const FORCED_EXIT_CODE = 1;

export interface ShutdownDeadlineOptions {
  /** HOTSWAP_SHUTDOWN_GRACE in milliseconds. */
  graceMs: number;
  /** Where the deadline says what was still open. */
  report(open: { step: string; resources: string[] }): void;
  /** The close step in progress, for the report. */
  step(): string;
  /** Ends the process; injectable for tests. @default process.exit */
  exit?(code: number): void;
  /** Start the worker-thread watchdog. @default true */
  watchdog?: boolean;
  /** Time after the grace period before forcing. @default FORCE_MARGIN_MS */
  marginMs?: number;
}

export interface ShutdownDeadline {
  /** The close finished in time: stop both clocks. */
  disarm(): void;
}

/** Arm both clocks now (at the first SIGTERM/SIGINT). */
export function armShutdownDeadline(opts: ShutdownDeadlineOptions): ShutdownDeadline {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const forceAt = opts.graceMs + (opts.marginMs ?? FORCE_MARGIN_MS);
  const timer = setTimeout(() => {
    opts.report({ step: opts.step(), resources: openResources() });
    exit(FORCED_EXIT_CODE);
  }, forceAt);
  let worker: Worker | undefined;
  if (opts.watchdog !== false) {
    // Runs on its own thread, so it fires even when the main thread never yields again.
    worker = new Worker(
      // A worker's process.stderr goes through the main thread, which is stuck: write fd 2 directly.
      `const { workerData } = require("node:worker_threads");
       const { writeSync } = require("node:fs");
       setTimeout(() => {
         writeSync(2, "hotswap: shutdown deadline passed and the main thread is not responding; killing the process\\n");
         process.kill(workerData.pid, "SIGKILL");
       }, workerData.ms);`,
      // No --import tsx and the like: plain JavaScript that needs nothing from the main thread.
      { eval: true, execArgv: [], workerData: { pid: process.pid, ms: forceAt + WATCHDOG_MARGIN_MS } },
    );
    // Neither clock keeps a process alive that has nothing else to do.
    worker.unref();
  }
  timer.unref();
  return {
    disarm() {
      clearTimeout(timer);
      void worker?.terminate();
    },
  };
}

/** What keeps the event loop busy, by kind and count (e.g. "TCPSocketWrap ×3"). */
function openResources(): string[] {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([kind, n]) => (n > 1 ? `${kind} ×${n}` : kind));
}
