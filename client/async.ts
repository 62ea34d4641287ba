/**
 * Asynchronous invocation: queue an event (`X-Amz-Invocation-Type: Event` on HotSwap's invoke path,
 * answered 202 with the request id), read the invocation records, and set a function's
 * event-invoke config (retries, maximum event age, destinations).
 */
import type { PutEventInvokeConfigBody } from "../protocol/api/event-invoke-config.ts";
import type { InvocationStatus } from "../protocol/api/invocations.ts";
import { HEADER_AMZ_INVOCATION_TYPE } from "../protocol/headers.ts";
import { invokeCall, type InvokeOptions } from "./invoke.ts";
import type { CallOptions, Transport } from "./transport.ts";

export interface ListInvocationsOptions extends CallOptions {
  status?: InvocationStatus;
  /** `async` or a trigger id. */
  source?: string;
  /** 1-100. @default 50 */
  limit?: number;
  cursor?: string;
}

export function asyncEndpoints(t: Transport) {
  const fnPath = (name: string) => `/api/v1/functions/${encodeURIComponent(name)}`;
  return {
    /**
     * POST /api/v1/functions/{name}/invoke with X-Amz-Invocation-Type: Event: 202 `{ requestId, status: "Queued" }`
     * once the event is queued. FunctionNotFound (404), PayloadTooLarge (413, over 256 KB).
     */
    invoke: (name: string, event?: unknown, opts: InvokeOptions = {}) =>
      t.request(invokeCall(name, event, opts), "AsyncInvokeAccepted", { ...opts, headers: { ...opts.headers, [HEADER_AMZ_INVOCATION_TYPE]: "Event" } }),
    /** GET /api/v1/invocations/{requestId}. InvocationNotFound (404). */
    get: (requestId: string, opts?: CallOptions) => t.request({ method: "GET", path: `/api/v1/invocations/${encodeURIComponent(requestId)}` }, "Invocation", opts),
    /** GET /api/v1/functions/{name}/invocations?status=&source=&limit=&cursor=: newest first, `nextCursor` when there is more. */
    list: (name: string, opts: ListInvocationsOptions = {}) =>
      t.request({ method: "GET", path: `${fnPath(name)}/invocations`, query: { status: opts.status, source: opts.source, limit: opts.limit, cursor: opts.cursor } }, "InvocationList", opts),
    /** PUT /api/v1/functions/{name}/event-invoke-config: replaces the config (left-out fields take Lambda's defaults). */
    putConfig: (name: string, body: PutEventInvokeConfigBody, opts?: CallOptions) => t.request({ method: "PUT", path: `${fnPath(name)}/event-invoke-config`, body: { json: body } }, "EventInvokeConfig", opts),
    /** GET /api/v1/functions/{name}/event-invoke-config. EventInvokeConfigNotFound (404) when none is set. */
    getConfig: (name: string, opts?: CallOptions) => t.request({ method: "GET", path: `${fnPath(name)}/event-invoke-config` }, "EventInvokeConfig", opts),
    /** DELETE /api/v1/functions/{name}/event-invoke-config: 204, back to the defaults. */
    deleteConfig: (name: string, opts?: CallOptions) => t.request({ method: "DELETE", path: `${fnPath(name)}/event-invoke-config` }, null, opts),
  };
}
