/** /api/v1/triggers: Http, Scheduled, Queue and Stream triggers bound to a function. */
import type { CreateTriggerInput, TriggerType, UpdateTriggerBody } from "../protocol/api/triggers.ts";
import type { CallOptions, Transport } from "./transport.ts";

export function triggersEndpoints(t: Transport) {
  const path = (id?: string) => `/api/v1/triggers${id === undefined ? "" : `/${encodeURIComponent(id)}`}`;
  return {
    /**
     * POST /api/v1/triggers: 201 with the trigger (`triggerId`). FunctionNotFound (404);
     * ValidationError / InvalidQualifier / UnsupportedAuth (400); EventSourceNotConfigured (400) for a
     * Queue or Stream trigger whose broker the control plane has no URL for (HOTSWAP_QUEUE_REDIS_URL,
     * HOTSWAP_STREAM_REDIS_URL or REDIS_URL, HOTSWAP_AMQP_URL, HOTSWAP_NATS_URL); RouteConflict (409,
     * details.conflictingTriggerId).
     */
    create: (body: CreateTriggerInput, opts?: CallOptions) => t.request({ method: "POST", path: path(), body: { json: body } }, "Trigger", opts),
    /** GET /api/v1/triggers?functionName=&type=. */
    list: (filter: { functionName?: string; type?: TriggerType } = {}, opts?: CallOptions) =>
      t.request({ method: "GET", path: path(), query: { functionName: filter.functionName, type: filter.type } }, "TriggerList", opts),
    /** GET /api/v1/triggers/{id}. TriggerNotFound (404). */
    get: (id: string, opts?: CallOptions) => t.request({ method: "GET", path: path(id) }, "Trigger", opts),
    /** PUT /api/v1/triggers/{id}: the given fields replace the stored ones. */
    update: (id: string, body: UpdateTriggerBody, opts?: CallOptions) => t.request({ method: "PUT", path: path(id), body: { json: body } }, "Trigger", opts),
    /** DELETE /api/v1/triggers/{id}: 204. TriggerNotFound (404). */
    delete: (id: string, opts?: CallOptions) => t.request({ method: "DELETE", path: path(id) }, null, opts),
  };
}
