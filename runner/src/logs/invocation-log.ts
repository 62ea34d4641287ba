/**
 * The function-log port an instance offers the pool: the pool opens an invocation's log when it
 * hands the invocation to the instance (START) and closes it with the outcome (END, REPORT), and
 * gets the invocation's tail back when the request asked for it.
 */

export interface InvocationReport {
  /** Handler time in ms, init excluded. */
  durationMs: number;
  /** Start or specialisation time in ms, on a cold start only. */
  initMs?: number;
  /** A platform notice written before END (timeout, crash), as Lambda writes "Task timed out…". */
  notice?: string;
}

export interface InvocationLog {
  /**
   * Write what is still pending, then END and REPORT, once the instance's output written before
   * the result has been read. Resolves with the tail text when the invocation asked for one.
   */
  end(report: InvocationReport): Promise<string | undefined>;
  /** The invocation never reached the instance (it was going away): forget it without framing. */
  abandon(): void;
}

export interface InstanceLogPort {
  /** Open an invocation's log: writes START and lets the instance's lines carry its request id. */
  begin(requestId: string, opts: { tail: boolean }): InvocationLog;
}
