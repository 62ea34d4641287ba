/**
 * POST /2015-03-31/functions/{FunctionName}/invocations?Qualifier=: the Lambda-compatible invoke,
 * through the same pipeline as HotSwap's, answered in Lambda's conventions (api/lambda). Its 6 MB
 * body limit comes first, before authentication, as Lambda's always has; SigV4 and the event then
 * share the one bounded read of the body. InvocationType Event queues the invocation (202, empty
 * body, as Lambda answers it) once it is checked (256 KB) and resolved.
 * The same code serves InvokeWithResponseStream, POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations
 * (`mode` "stream"): RequestResponse or DryRun, answered as an event stream (api/lambda/event-stream-answer.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError } from "../../../../protocol/errors.ts";
import { HEADER_AMZ_EXECUTED_VERSION, HEADER_AMZ_INVOCATION_TYPE, HEADER_AMZ_LOG_RESULT, HEADER_AMZ_LOG_TYPE, HEADER_AMZ_REQUEST_ID, HEADER_REQUEST_ID } from "../../../../protocol/headers.ts";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../../protocol/limits.ts";
import type { Invocation } from "../../invocation/invocation.ts";
import { payloadTooLarge } from "../../invocation/event.ts";
import { apiErrorOf, requestIdFrom } from "../envelope.ts";
import { lambdaResponse, parseFunctionName } from "../lambda/index.ts";
import { EventStreamAnswer } from "../lambda/event-stream-answer.ts";
import { writeAnswer, writeLambdaError } from "./answers.ts";
import { decodeParam } from "./decode-param.ts";
import { clientContextProblem, invocationTypeOf, qualifierRangeProblem } from "./request-checks.ts";
import { IncomingRequest } from "./incoming-request.ts";
import { logResultOf, logTypeOf } from "./log-type.ts";
import type { FrontDoorDeps } from "./index.ts";
import { beginRequestTrace, endRequestTrace, traceHeaders, traceInvocation } from "./request-trace.ts";
import { traceIdOf } from "../../../../shared/tracing/traceparent.ts";

const ROUTE = "/2015-03-31/functions/{FunctionName}/invocations";
const STREAM_ROUTE = "/2021-11-15/functions/{FunctionName}/response-streaming-invocations";

/** `buffered`: Invoke; `stream`: InvokeWithResponseStream. */
export type LambdaInvokeMode = "buffered" | "stream";

/**
 * The name arrives percent-encoded (an ARN's colons); it is decoded as a route parameter, then once
 * more as Lambda's FunctionName. A second decode that fails (`%25E0%A4%A`) is a bad name, not a crash.
 */
function decodeFunctionName(segment: string): string {
  const once = decodeParam(segment);
  try {
    return decodeURIComponent(once);
  } catch {
    throw new ApiError("ValidationError", `The function name "${once.slice(0, 140)}" is not valid percent-encoding; send the name (or ARN) percent-encoded once.`);
  }
}

/** Lambda's 413 does not quote a size. */
function bodyTooLarge(): ApiError {
  return payloadTooLarge();
}

export async function serveLambdaInvoke(deps: FrontDoorDeps, req: IncomingMessage, res: ServerResponse, segment: string, rawQuery: string | undefined, mode: LambdaInvokeMode = "buffered"): Promise<void> {
  const requestId = requestIdFrom(req.headers[HEADER_REQUEST_ID]);
  const rt = beginRequestTrace(deps.tracer, req, requestId, mode === "stream" ? STREAM_ROUTE : ROUTE);
  const request = new IncomingRequest(req, rawQuery, bodyTooLarge);
  let inv: Invocation | undefined;
  let named = false;
  try {
    const declared = req.headers["content-length"];
    if (declared !== undefined && req.headers["transfer-encoding"] === undefined) {
      if (parseInt(declared, 10) > MAX_SYNC_PAYLOAD_BYTES) throw bodyTooLarge();
    } else {
      await request.readPayload(); // streamed: read (bounded) now to know its size
    }
    inv = { requestId, credentials: request, name: segment, source: request, route: request };
    traceInvocation(inv, rt, deps.tracer);
    try {
      const target = parseFunctionName(decodeFunctionName(segment), request.query("Qualifier"));
      inv.name = target.name;
      inv.qualifier = target.qualifier;
      named = true;
      const problem = qualifierRangeProblem(target.qualifier);
      if (problem) throw problem;
    } catch (e) {
      inv.rejection = e as Error;
    }
    const type = invocationTypeOf(request.header(HEADER_AMZ_INVOCATION_TYPE), mode === "stream" ? ["RequestResponse", "DryRun"] : ["RequestResponse", "Event", "DryRun"]);
    if (typeof type !== "string") {
      if (named) inv.rejection = type;
    } else if (type === "Event") inv.async = { source: "async" };
    inv.dryRun = type === "DryRun";
    const logType = logTypeOf(request.header(HEADER_AMZ_LOG_TYPE), "X-Amz-Log-Type");
    if (logType instanceof ApiError) {
      if (named && !inv.rejection) inv.rejection = logType;
    } else inv.logTail = logType;
    const clientContext = request.header("x-amz-client-context");
    // Checked here, before the runner: what is passed on is known to be base64 of a JSON object.
    const contextProblem = clientContextProblem(clientContext);
    if (contextProblem && !inv.rejection) inv.rejection = contextProblem;
    inv.clientContext = clientContext;
    let events: EventStreamAnswer | undefined;
    if (mode === "stream") {
      const target = inv;
      events = new EventStreamAnswer(res, () => traceHeaders({ [HEADER_AMZ_REQUEST_ID]: requestId, [HEADER_AMZ_EXECUTED_VERSION]: String(target.spec!.version) }, rt, true));
      inv.stream = events;
    }
    const outcome = await deps.pipeline.handle(inv);
    if (events !== undefined && outcome !== undefined && (events.begun || outcome.kind !== "platform-error" || lambdaResponse(requestId, inv.spec!, outcome).status === 200)) {
      // Streamed, or an outcome Lambda reports inside the stream (a handler error, a timeout...).
      events.complete(outcome, inv.logTail ? logResultOf(outcome) : undefined);
      endRequestTrace(rt, 200, inv, outcome);
      return;
    }
    if (inv.async) {
      writeAnswer(res, 202, { [HEADER_AMZ_REQUEST_ID]: requestId, [HEADER_REQUEST_ID]: requestId }, Buffer.alloc(0));
      return;
    }
    const r = lambdaResponse(requestId, inv.spec!, outcome);
    const logResult = inv.logTail ? logResultOf(outcome) : undefined;
    if (logResult !== undefined) r.headers[HEADER_AMZ_LOG_RESULT] = logResult;
    writeAnswer(res, r.status, traceHeaders(r.headers, rt, true), r.body);
    endRequestTrace(rt, r.status, inv, outcome);
  } catch (e) {
    const err = apiErrorOf(e, requestId, deps.log, { method: "POST", path: req.url!, traceId: traceIdOf(rt.traceparent) });
    // Lambda's request id header comes with every answer about an invocation of a named function;
    // refusals of the request itself (size, credentials, permission, the name) go without it.
    const headers: Record<string, string> = inv?.authorized && named ? { [HEADER_AMZ_REQUEST_ID]: requestId } : {};
    writeLambdaError(req, res, requestId, err, traceHeaders(headers, rt, true));
    endRequestTrace(rt, err.status, inv, undefined, err.code);
  }
}
