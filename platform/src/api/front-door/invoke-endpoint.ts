/**
 * POST /api/v1/functions/{name}/invoke?qualifier=: the one implementation of HotSwap's invoke
 * endpoint. It reads the target from the path and query, hands an `Invocation` to the pipeline and
 * writes the outcome (`invokeResponse`). A name or qualifier the API's schema refuses is answered
 * with the schema's 400, after authentication and authorization, as the API always has.
 * `X-Amz-Invocation-Type: Event` queues the invocation instead (202 with the request id).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { HEADER_AMZ_INVOCATION_TYPE, HEADER_LOG_RESULT, HEADER_LOG_TYPE, HEADER_REQUEST_ID, HEADER_VERSION } from "../../../../protocol/headers.ts";
import { ChunkedAnswer } from "./chunked-answer.ts";
import type { Invocation } from "../../invocation/invocation.ts";
import { payloadTooLarge } from "../../invocation/event.ts";
import { apiErrorOf, requestIdFrom } from "../envelope.ts";
import { invokeResponse, invokeTargetProblem } from "../invoke/index.ts";
import { writeAnswer, writeError } from "./answers.ts";
import { invocationTypeOf, qualifierRangeProblem } from "./request-checks.ts";
import { decodeParam } from "./decode-param.ts";
import { IncomingRequest } from "./incoming-request.ts";
import { logResultOf, logTypeOf } from "./log-type.ts";
import type { FrontDoorDeps } from "./index.ts";
import { beginRequestTrace, endRequestTrace, traceHeaders, traceInvocation } from "./request-trace.ts";
import { traceIdOf } from "../../../../shared/tracing/traceparent.ts";

const ROUTE = "/api/v1/functions/{name}/invoke";

/** A function name that needs no decoding or validation: the common case, checked without zod. */
const PLAIN_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export async function serveInvoke(deps: FrontDoorDeps, req: IncomingMessage, res: ServerResponse, segment: string, rawQuery: string | undefined): Promise<void> {
  const requestId = requestIdFrom(req.headers[HEADER_REQUEST_ID]);
  const rt = beginRequestTrace(deps.tracer, req, requestId, ROUTE);
  const request = new IncomingRequest(req, rawQuery, payloadTooLarge);
  const given = request.query("qualifier");
  const inv: Invocation = {
    requestId,
    credentials: request,
    name: segment,
    qualifier: given || undefined,
    source: request,
    route: request,
  };
  traceInvocation(inv, rt, deps.tracer);
  if (!PLAIN_NAME.test(segment) || (given !== undefined && given.length > 128)) {
    inv.name = decodeParam(segment);
    inv.rejection = invokeTargetProblem(inv.name, given);
  }
  if (given !== undefined && !inv.rejection) inv.rejection = qualifierRangeProblem(given);
  const logTypeHeader = req.headers[HEADER_LOG_TYPE];
  if (logTypeHeader !== undefined) {
    const logType = logTypeOf(String(logTypeHeader), HEADER_LOG_TYPE);
    if (typeof logType !== "boolean") inv.rejection ??= logType;
    else inv.logTail = logType;
  }
  const type = invocationTypeOf(req.headers[HEADER_AMZ_INVOCATION_TYPE], ["RequestResponse", "Event"]);
  if (typeof type !== "string") inv.rejection ??= type;
  else if (type === "Event") inv.async = { source: "async" };
  // A streaming handler's bytes leave as they are written (chunked), headers with the first ones.
  const chunked = new ChunkedAnswer(res, () => traceHeaders({ [HEADER_REQUEST_ID]: requestId, [HEADER_VERSION]: String(inv.spec!.version) }, rt, false));
  if (!inv.async) inv.stream = chunked;
  try {
    // Nearly always the chain runs up to the body read in this turn (the API key answers from its
    // cache), so the body listeners attach in the same turn as the request event.
    const outcome = await deps.pipeline.handle(inv);
    if (inv.async) {
      writeAnswer(res, 202, { "content-type": "application/json", [HEADER_REQUEST_ID]: requestId }, JSON.stringify({ requestId, status: "Queued" }));
      return;
    }
    if (chunked.begun) {
      chunked.end(outcome!, inv.logTail ? logResultOf(outcome) : undefined);
      endRequestTrace(rt, 200, inv, outcome);
      return;
    }
    const r = invokeResponse(requestId, inv.spec!, outcome!);
    const logResult = inv.logTail ? logResultOf(outcome) : undefined;
    if (logResult !== undefined) r.headers[HEADER_LOG_RESULT] = logResult;
    writeAnswer(res, r.status, traceHeaders(r.headers, rt, false), r.body);
    endRequestTrace(rt, r.status, inv, outcome);
  } catch (e) {
    const err = apiErrorOf(e, requestId, deps.log, { method: "POST", path: req.url!, traceId: traceIdOf(rt.traceparent) });
    writeError(req, res, requestId, err, traceHeaders({}, rt, false));
    endRequestTrace(rt, err.status, inv, undefined, err.code);
  }
}
