/**
 * Runs one invocation of a Lambda-style handler: builds the `context`, supports async handlers,
 * callback handlers and the legacy context.done/succeed/fail, and turns the outcome into the JSON
 * text the runner receives. Shared by the fast channel and the Runtime API loops.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { beginRequestLog, endRequestLog, inRequestLog } from "./log-capture.mjs";

const ACCOUNT_ID = "000000000000";
/** Stack lines inside the bootstrap are noise to the function's author. */
const OWN_URL = new URL("./", import.meta.url).href;
const OWN_PATH = fileURLToPath(OWN_URL);
const isUserFrame = (line) => !line.includes(OWN_URL) && !line.includes(OWN_PATH);

/** Static, per-function facts every context carries. Computed once at init. */
export function functionInfo(env) {
  const name = env.AWS_LAMBDA_FUNCTION_NAME ?? "function";
  const version = env.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST";
  const region = env.AWS_REGION ?? "us-east-1";
  const d = new Date();
  const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${String(d.getUTCDate()).padStart(2, "0")}`;
  return {
    functionName: name,
    functionVersion: version,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "128",
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${name}`,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? `${day}/[${version}]${randomBytes(16).toString("hex")}`,
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}:${version}`,
  };
}

/** The trace context the next runHandler call puts on its `context` (see traceNextInvocation). */
let nextTrace;

/**
 * Give the next invocation's `context` its trace context (`traceparent`, `xRayTraceId`, from
 * ./trace-context.mjs). Called just before runHandler, which reads it once, synchronously.
 */
export function traceNextInvocation(trace) {
  nextTrace = trace;
}

/** The Lambda `context` object. Fields are own properties so console.log(context) shows them, as on AWS. */
class Context {
  #deadline;
  #finish;
  constructor(info, requestId, deadline, arn, clientContext, finish) {
    this.callbackWaitsForEmptyEventLoop = true;
    this.functionName = info.functionName;
    this.functionVersion = info.functionVersion;
    this.invokedFunctionArn = arn ?? info.invokedFunctionArn;
    this.memoryLimitInMB = info.memoryLimitInMB;
    this.awsRequestId = requestId;
    this.logGroupName = info.logGroupName;
    this.logStreamName = info.logStreamName;
    this.identity = undefined;
    this.clientContext = clientContext;
    if (nextTrace !== undefined) {
      this.traceparent = nextTrace.traceparent;
      this.xRayTraceId = nextTrace.xRayTraceId;
      nextTrace = undefined;
    }
    this.#deadline = deadline;
    this.#finish = finish;
  }
  getRemainingTimeInMillis() {
    return Math.max(0, this.#deadline - Date.now());
  }
  done(err, result) {
    if (err != null) this.#finish(true, err);
    else this.#finish(false, result);
  }
  succeed(result) {
    this.#finish(false, result);
  }
  fail(err) {
    this.#finish(true, err ?? new Error("context.fail() was called"));
  }
}

function isThenable(v) {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof v.then === "function";
}

/**
 * Run the handler once and call `done(isError, value)` exactly once.
 * - A returned promise settles the invocation.
 * - Otherwise the callback (or context.done/succeed/fail) settles it.
 * - A plain function that returns a value and takes no callback settles with that value
 *   (AWS ignores it; returning it is friendlier and harms no Lambda-compatible handler).
 * - A plain function that returns nothing and never calls back settles with null once the
 *   work it started is finished, approximating AWS's "wait for the empty event loop".
 */
export function runHandler(handler, info, event, requestId, deadline, arn, clientContext, done) {
  let finished = false;
  const log = beginRequestLog(requestId);
  const finish = (isError, value) => {
    if (finished) return;
    finished = true;
    // The invocation's last lines go out before its result, so they precede its END.
    endRequestLog(log);
    done(isError, value);
  };
  const context = new Context(info, requestId, deadline, arn, clientContext, finish);
  const callback = (err, value) => (err != null ? finish(true, err) : finish(false, value));
  const plain = handler.constructor.name !== "AsyncFunction";
  // Resources alive before the call; only needed for the legacy no-return handlers.
  const baseline = plain ? process.getActiveResourcesInfo().length : 0;
  let ret;
  try {
    ret = inRequestLog(log, () => handler(event, context, callback));
  } catch (err) {
    finish(true, err);
    return;
  }
  if (finished) return;
  if (isThenable(ret)) {
    ret.then((v) => finish(false, v), (e) => finish(true, e ?? new Error(String(e))));
    return;
  }
  if (ret !== undefined && handler.length < 3) {
    finish(false, ret);
    return;
  }
  const poll = () => {
    if (finished) return;
    if (process.getActiveResourcesInfo().length <= baseline) finish(false, null);
    else setTimeout(poll, 2).unref();
  };
  setTimeout(poll, 0).unref();
}

/** `{errorType, errorMessage, stackTrace}` for anything a handler may throw or pass to a callback. */
export function errorPayload(err) {
  if (err instanceof Error || (err !== null && typeof err === "object" && typeof err.message === "string")) {
    const stack = typeof err.stack === "string" ? err.stack.split("\n").filter(isUserFrame) : [];
    return { errorType: String(err.name || "Error"), errorMessage: String(err.message), stackTrace: stack };
  }
  let message;
  if (typeof err === "object" && err !== null) {
    try {
      message = JSON.stringify(err);
    } catch {
      message = String(err);
    }
  } else {
    message = String(err);
  }
  return { errorType: err === null ? "null" : typeof err, errorMessage: message, stackTrace: [] };
}

/** JSON text of an error payload (never throws). */
export function errorJson(err) {
  try {
    return JSON.stringify(errorPayload(err));
  } catch {
    return '{"errorType":"Error","errorMessage":"the handler failed with an error that cannot be described","stackTrace":[]}';
  }
}

/**
 * JSON text of a handler's result, or `undefined` when it cannot be serialised
 * (circular structure, BigInt); the caller then reports Runtime.MarshalError.
 * @returns {{ok: true, json: string} | {ok: false, error: string}}
 */
export function resultJson(value) {
  try {
    const json = JSON.stringify(value);
    return { ok: true, json: json === undefined ? "null" : json };
  } catch (err) {
    return {
      ok: false,
      error: JSON.stringify({
        errorType: "Runtime.MarshalError",
        errorMessage: `Unable to serialise the handler's result to JSON: ${err instanceof Error ? err.message : String(err)}`,
        stackTrace: [],
      }),
    };
  }
}

/** Parse an event body: empty means `{}` (as an invoke without payload on AWS). */
export function parseEvent(text) {
  return text.length === 0 ? {} : JSON.parse(text);
}
