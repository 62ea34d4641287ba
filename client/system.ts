/** The system endpoints: GET /health, GET /api/v1/runtimes, GET /api/v1/runners and the OpenAPI document. */
import type { CallOptions, Transport } from "./transport.ts";

export function systemEndpoints(t: Transport) {
  return {
    /**
     * GET /health (no auth needed). Both answers are a health report: status 200 with `status: "ok"`,
     * or 503 with `status: "unavailable"` and the failing checks, so a 503 is `ok: true` too.
     */
    health: (opts?: CallOptions) => t.request({ method: "GET", path: "/health" }, "Health", { ...opts, alsoOk: [503] }),
    /** GET /api/v1/runtimes: the backend and each runtime's availability on it. */
    runtimes: (opts?: CallOptions) => t.request({ method: "GET", path: "/api/v1/runtimes" }, "RuntimeList", opts),
    /** GET /openapi.json: the API's OpenAPI 3.1 document. */
    openapi: (opts?: CallOptions) => t.request({ method: "GET", path: "/openapi.json" }, "OpenApiDocument", opts),
  };
}

export function runnersEndpoints(t: Transport) {
  return {
    /** GET /api/v1/runners: live runners; with includeGone, also recorded ones that died or stopped. */
    list: (opts: CallOptions & { includeGone?: boolean } = {}) =>
      t.request({ method: "GET", path: "/api/v1/runners", query: { include: opts.includeGone ? "gone" : undefined } }, "RunnerList", opts),
  };
}
