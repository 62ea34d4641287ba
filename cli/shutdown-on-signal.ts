/**
 * How `hotswap server` and `hotswap runner` stop on SIGTERM/SIGINT: the first signal starts the
 * graceful stop under the hard deadline (shutdown-deadline.ts), a second one exits at once (130).
 */
import type { Logger } from "../shared/logger.ts";
import { armShutdownDeadline } from "./shutdown-deadline.ts";

export interface StopOnSignalOptions {
  /** The command's name in stderr lines, e.g. "hotswap" or "hotswap runner". */
  name: string;
  /** What stopping is called in messages, e.g. "shutdown" or "drain". */
  what: string;
  /** HOTSWAP_SHUTDOWN_GRACE in milliseconds. */
  graceMs: number;
  log: Pick<Logger, "info" | "error">;
  /** The graceful stop. */
  stop(): Promise<void>;
  /** The stop's current step, for the deadline's report. */
  step(): string;
}

/**
 * Wait for SIGTERM or SIGINT, then stop. Resolves with the exit code: 0 after a clean stop, 1 when
 * it failed; a stop that overruns the deadline exits 1 from there, and a second signal exits 130.
 */
export function stopOnSignal(opts: StopOnSignalOptions): Promise<number> {
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        process.stderr.write(`${opts.name}: second ${sig}, exiting now\n`);
        process.exit(130);
      }
      opts.log.info({ signal: sig, graceMs: opts.graceMs }, "signal received");
      const deadline = armShutdownDeadline({
        graceMs: opts.graceMs,
        step: opts.step,
        report: (open) => {
          opts.log.error(open, `${opts.what} did not finish in time; forcing exit`);
          process.stderr.write(`${opts.name}: ${opts.what} forced while ${open.step}; still open: ${open.resources.join(", ") || "nothing"}\n`);
        },
      });
      opts.stop().then(
        () => {
          deadline.disarm();
          resolve(0);
        },
        (e) => {
          deadline.disarm();
          opts.log.error({ err: e }, `${opts.what} failed`);
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}
