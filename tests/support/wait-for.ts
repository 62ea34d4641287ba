/**
 * The one way a test (or a bench section) waits for something it can only observe by looking:
 * poll a check until it returns a truthy value, bounded by a deadline. On timeout the error names
 * what was awaited and what the check last said, so a failing test explains itself. Domain helpers
 * (waitForDeployment, a cluster's `eventually`) are thin wrappers over this one loop.
 *
 * Prefer awaiting an event (a promise, an emitter) where one exists; poll only where none does.
 */
import { inspect } from "node:util";

export interface WaitForOptions<V> {
  /**
   * When the wait is over, given the check's value. Without it, the first truthy value ends the
   * wait. With it the check can return the whole observed state (stats, a deployment), which then
   * appears in the timeout error.
   * @example { until: (stats) => stats.inflight === 5 }
   */
  until?: (value: V) => boolean;
  /**
   * Milliseconds before the wait fails. A check still running at the deadline fails it too, so a
   * hung check cannot hang the test.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * Milliseconds between the end of one check and the start of the next.
   * @default 20
   */
  intervalMs?: number;
  /**
   * Whether an error thrown by the check counts as "not yet" (true) or ends the wait at once
   * (false). Pass false when the check throws only for a state that can never recover, such as
   * "the server process exited".
   * @default true
   */
  retryErrors?: boolean;
  /**
   * How the last value appears in the timeout error.
   * @default util.inspect, shortened to 2,000 characters
   */
  show?: (last: V) => string;
}

/** Values a check returns while the awaited thing has not happened yet. */
type Falsy = false | 0 | 0n | "" | null | undefined;

/** Thrown when the deadline passes; `cause` is the check's last error, if its last call threw. */
export class WaitForTimeoutError extends Error {
  constructor(
    /** What was awaited, as given to waitFor. */
    readonly what: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "WaitForTimeoutError";
  }
}

const STILL_RUNNING = Symbol("still running");

type Outcome<V> = { value: V } | { error: unknown } | typeof STILL_RUNNING;

/**
 * Call `check` now and then every `intervalMs` until it returns a truthy value (or, with `until`,
 * a value `until` accepts), and return that value. `check` may be sync or async, a predicate
 * (`() => pool.stats().inflight === 2`) or a getter (`async () => (await list()).find(...)`).
 * Fails with a WaitForTimeoutError naming `what` ("5 invocations in flight") and the last value or
 * error once `timeoutMs` has passed.
 *
 * While it waits, a timer holds the event loop open: a check whose sockets are unref'd cannot let
 * the process exit under a pending test.
 */
export function waitFor<T>(
  what: string,
  check: () => T | PromiseLike<T>,
  options: WaitForOptions<Awaited<T>> & { until: (value: Awaited<T>) => boolean },
): Promise<Awaited<T>>;
export function waitFor<T>(what: string, check: () => T | PromiseLike<T>, options?: WaitForOptions<Awaited<T>>): Promise<Exclude<Awaited<T>, Falsy>>;
export async function waitFor<T>(what: string, check: () => T | PromiseLike<T>, options: WaitForOptions<Awaited<T>> = {}): Promise<Awaited<T>> {
  const { until = Boolean, timeoutMs = 5000, intervalMs = 20, retryErrors = true, show = showValue } = options;
  const deadline = Date.now() + timeoutMs;
  let last: Outcome<Awaited<T>>;
  for (;;) {
    last = await attempt(check, deadline);
    if (last !== STILL_RUNNING && "value" in last) {
      try {
        if (until(last.value)) return last.value;
      } catch (error) {
        last = { error };
      }
    }
    if (last !== STILL_RUNNING && "error" in last && !retryErrors) throw last.error;
    const left = deadline - Date.now();
    if (last === STILL_RUNNING || left <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)));
  }
  const prefix = `timed out after ${timeoutMs} ms waiting for ${what}`;
  if (last === STILL_RUNNING) throw new WaitForTimeoutError(what, `${prefix}; the last check was still running at the deadline`);
  if ("error" in last) throw new WaitForTimeoutError(what, `${prefix}; last error: ${errorText(last.error)}`, last.error);
  throw new WaitForTimeoutError(what, `${prefix}; last value: ${show(last.value)}`);
}

/** One call of the check, settled or cut off at the deadline. */
async function attempt<T>(check: () => T | PromiseLike<T>, deadline: number): Promise<Outcome<Awaited<T>>> {
  let result: T | PromiseLike<T>;
  try {
    result = check();
  } catch (error) {
    return { error };
  }
  // A synchronous check needs no timer: most polls in unit tests are, and they poll every few ms.
  if (!isThenable(result)) return { value: result as Awaited<T> };
  let timer: NodeJS.Timeout | undefined;
  const cutOff = new Promise<typeof STILL_RUNNING>((resolve) => {
    timer = setTimeout(() => resolve(STILL_RUNNING), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([
      Promise.resolve(result).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      cutOff,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === "object" && x !== null && typeof (x as { then?: unknown }).then === "function";
}

function showValue(value: unknown): string {
  const text = inspect(value, { depth: 4, breakLength: Infinity });
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : showValue(error);
}
