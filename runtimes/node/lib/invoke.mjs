/**
 * Runs one invocation of a Lambda-style handler: builds the `context`, supports async handlers,
 * callback handlers and the legacy context.done/succeed/fail, and turns the outcome into the JSON
 * text the runner receives. Shared by the fast channel and the Runtime API loops.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { beginRequestLog, endRequestLog, inRequestLog } from "./log-capture.mjs";
import { isStreamingHandler, runStreamingHandler } from "./response-stream.mjs";

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
    // Unqualified; an invocation through an alias or a version adds ":<qualifier>".
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`,
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
    // AWS's runtime reports a bare context.fail() as the string "handled".
    this.#finish(true, err ?? "handled");
  }
}

/**
 * What keeps the event loop busy, for the "empty event loop" approximation: the active resources
 * but socket writes in progress (WriteWrap), which finish on their own. The reply of the previous
 * invocation may still be being written when the next one starts; counting it in the baseline
 * would let the count drop below it while the handler's own timer is still pending.
 */
function pendingWork() {
  let n = 0;
  for (const r of process.getActiveResourcesInfo()) if (r !== "WriteWrap") n++;
  return n;
}

function noop() {}

function isThenable(v) {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof v.then === "function";
}

/**
 * Run the handler once and call `done(isError, value)` exactly once.
 * - A returned promise settles the invocation.
 * - Otherwise the callback (or context.done/succeed/fail) settles it.
 * - A plain (non-async) function that neither returns a promise nor calls back settles with null
 *   once the work it started is finished, approximating AWS's "wait for the empty event loop";
 *   a value it returns is ignored, as on AWS.
 * - A streaming handler (awslambda.streamifyResponse) gets `(event, responseStream, context)`; its
 *   bytes go to the transport `openStream(requestId)` gives (see response-stream.mjs), and it
 *   settles with `undefined` once its stream ends, or with its error.
 */
export function runHandler(handler, info, event, requestId, deadline, arn, clientContext, done, openStream) {
  let finished = false;
  const log = beginRequestLog(requestId);
  let hold;
  const finish = (isError, value) => {
    if (finished) return;
    finished = true;
    if (hold !== undefined) clearInterval(hold);
    // The invocation's last lines go out before its result, so they precede its END.
    endRequestLog(log);
    done(isError, value);
  };
  const context = new Context(info, requestId, deadline, arn, clientContext, finish);
  if (openStream !== undefined && isStreamingHandler(handler)) {
    const transport = openStream(requestId);
    inRequestLog(log, () => runStreamingHandler(handler, event, context, transport, finish));
    return;
  }
  const callback = (err, value) => (err != null ? finish(true, err) : finish(false, value));
  const plain = handler.constructor.name !== "AsyncFunction";
  // A plain handler may settle only when its work is done ("the empty event loop"), so something
  // must keep the process alive meanwhile: over the Runtime API nothing else does. This interval
  // is counted in the baseline below, and cleared when the invocation settles.
  if (plain) hold = setInterval(noop, 0x7fffffff);
  // Resources alive before the call; only needed for the legacy no-return handlers.
  const baseline = plain ? pendingWork() : 0;
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
  // The poll timer is unref'd, so it is not among the active resources it counts.
  const poll = () => {
    if (finished) return;
    if (pendingWork() <= baseline) finish(false, null);
    else setTimeout(poll, 2).unref();
  };
  setTimeout(poll, 0).unref();
}

/**
 * The error document AWS's Node.js runtime posts, `{errorType, errorMessage, trace}`, for anything
 * a handler may throw or pass to a callback: an Error keeps its name, message and stack (without
 * the bootstrap's own frames); anything else is described by its type and its string form
 * (`throw {code: 42}` is `object` / `[object Object]`, `callback("x")` is `string` / `x`).
 */
export function errorPayload(err) {
  try {
    if (isErrorLike(err)) {
      return { errorType: err.name, errorMessage: err.message, trace: err.stack.split("\n").filter(isUserFrame) };
    }
    return { errorType: typeof err, errorMessage: String(err), trace: [] };
  } catch {
    return {
      errorType: "handled",
      errorMessage: "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack",
    };
  }
}

/** AWS's test for an error: a native one, or an object with string name, message and stack. */
function isErrorLike(v) {
  if (v instanceof Error && typeof v.stack === "string") return true;
  return v !== null && typeof v === "object" && typeof v.name === "string" && v.name !== "" && typeof v.message === "string" && typeof v.stack === "string";
}

/** An error the runtime itself reports (an unhandled rejection, a bad event), with no stack of its own. */
export function runtimeError(errorType, message) {
  const e = new Error(message);
  e.name = errorType;
  e.stack = `${errorType}: ${message}`;
  return e;
}

/** JSON text of an error payload (never throws). */
export function errorJson(err) {
  try {
    return JSON.stringify(errorPayload(err));
  } catch {
    return '{"errorType":"Error","errorMessage":"the handler failed with an error that cannot be described","trace":[]}';
  }
}

/**
 * JSON text of a handler's result, or `undefined` when it cannot be serialised
 * (circular structure, BigInt); the caller then reports `error` (AWS's "Unable to stringify response body").
 * @returns {{ok: true, json: string} | {ok: false, error: string}}
 */
export function resultJson(value) {
  try {
    const json = JSON.stringify(value);
    return { ok: true, json: json === undefined ? "null" : json };
  } catch (err) {
    // AWS's runtime fails such an invocation with this plain Error.
    return { ok: false, error: JSON.stringify({ errorType: "Error", errorMessage: "Unable to stringify response body", trace: [] }) };
  }
}

/** Parse an event body: empty means `{}` (as an invoke without payload on AWS). */
export function parseEvent(text) {
  return text.length === 0 ? {} : JSON.parse(text);
}
