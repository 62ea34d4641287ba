/** The system endpoints: GET /health, GET /api/v1/runtimes, GET /api/v1/whoami, GET /api/v1/runners, GET /metrics and the OpenAPI document. */
import type { ApiResult } from "./result.ts";
import { failureOf, type CallOptions, type Transport } from "./transport.ts";

export function systemEndpoints(t: Transport) {
  return {
    /**
     * GET /health (no auth needed). Both answers are a health report: status 200 with `status: "ok"`,
     * or 503 with `status: "unavailable"` and the failing checks, so a 503 is `ok: true` too.
     */
    health: (opts?: CallOptions) => t.request({ method: "GET", path: "/health" }, "Health", { ...opts, alsoOk: [503] }),
    /** GET /api/v1/runtimes: the backend and each runtime's availability on it. */
    runtimes: (opts?: CallOptions) => t.request({ method: "GET", path: "/api/v1/runtimes" }, "RuntimeList", opts),
    /** GET /api/v1/whoami: the caller's subject, roles, function scope and the permissions it holds. */
    whoami: (opts?: CallOptions) => t.request({ method: "GET", path: "/api/v1/whoami" }, "WhoAmI", opts),
    /** GET /openapi.json: the API's OpenAPI 3.1 document. */
    openapi: (opts?: CallOptions) => t.request({ method: "GET", path: "/openapi.json" }, "OpenApiDocument", opts),
    /** GET /metrics (needs `metrics:read`): the Prometheus text exposition, as Prometheus scrapes it. */
    metrics: async (opts?: CallOptions): Promise<ApiResult<string>> => {
      const r = await t.send({ method: "GET", path: "/metrics" }, opts);
      if (!r.ok) return r;
      const a = r.answer;
      return a.status === 200 ? { ok: true, status: 200, value: a.text, requestId: a.requestId } : { ok: false, error: failureOf(a) };
    },
  };
}

export function runnersEndpoints(t: Transport) {
  return {
    /** GET /api/v1/runners: live runners; with includeGone, also recorded ones that died or stopped. */
    list: (opts: CallOptions & { includeGone?: boolean } = {}) =>
      t.request({ method: "GET", path: "/api/v1/runners", query: { include: opts.includeGone ? "gone" : undefined } }, "RunnerList", opts),
  };
}
