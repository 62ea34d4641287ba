/**
 * The invocation's trace context as a handler sees it, as Lambda's runtimes give it:
 *   - `_X_AMZN_TRACE_ID` (X-Ray: `Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>`) and
 *     `TRACEPARENT` (W3C) in process.env, set per invocation when the instance runs one at a time
 *     (with more at once the environment is shared, so it is left alone);
 *   - `context.traceparent` and `context.xRayTraceId` on every invocation, whatever the concurrency.
 * A function's own OpenTelemetry SDK continues the trace from either.
 */

/** X-Ray trace header from a W3C traceparent, as AWS maps one to the other. */
export function xrayTraceId(traceparent) {
  const m = /^[0-9a-f]{2}-([0-9a-f]{8})([0-9a-f]{24})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent);
  return m ? `Root=1-${m[1]}-${m[2]};Parent=${m[3]};Sampled=${Number.parseInt(m[4], 16) & 1}` : undefined;
}

/**
 * The trace context of one invocation from what the runner sent (a traceparent, and on the Runtime
 * API also Lambda-Runtime-Trace-Id); sets the environment when `concurrency` is 1.
 * @returns {{traceparent: string | undefined, xRayTraceId: string | undefined}}
 */
export function invocationTrace(traceparent, xray, concurrency) {
  const tp = traceparent ? String(traceparent) : undefined;
  const x = xray ? String(xray) : tp ? xrayTraceId(tp) : undefined;
  if (concurrency === 1) {
    if (x) process.env._X_AMZN_TRACE_ID = x;
    else delete process.env._X_AMZN_TRACE_ID;
    if (tp) process.env.TRACEPARENT = tp;
    else delete process.env.TRACEPARENT;
  }
  return { traceparent: tp, xRayTraceId: x };
}
