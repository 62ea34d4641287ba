/**
 * Closing an invocation's function log from its outcome: a platform error leaves a notice line
 * (as Lambda writes "Task timed out after 3.00 seconds") before END and REPORT, and an invocation
 * that asked for its log tail waits for it; the others answer at once while END and REPORT are
 * written behind them.
 */
import type { InvokeOutcome } from "../../../protocol/invoke.ts";
import type { InvocationLog } from "../logs/invocation-log.ts";

/**
 * End `log` with what the outcome says. Resolves with the outcome, carrying `logTail` when
 * `wantTail`; otherwise resolves at once.
 */
export function closeLog(log: InvocationLog, outcome: InvokeOutcome, handlerMs: number, initMs: number | undefined, wantTail: boolean): InvokeOutcome | Promise<InvokeOutcome> {
  const notice = outcome.kind === "platform-error" ? outcome.message : undefined;
  const ended = log.end({ durationMs: handlerMs, ...(initMs !== undefined ? { initMs } : {}), ...(notice !== undefined ? { notice } : {}) });
  if (!wantTail) {
    ended.catch(() => {});
    return outcome;
  }
  return ended.then(
    (tail) => (tail === undefined ? outcome : { ...outcome, logTail: tail }),
    () => outcome,
  );
}
