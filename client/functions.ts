/** /api/v1/functions: create, list, read, update (configuration and capacity settings), delete. */
import type { CreateFunctionInput, UpdateFunctionInput } from "../protocol/api/functions.ts";
import type { CallOptions, Transport } from "./transport.ts";

export function functionsEndpoints(t: Transport) {
  const path = (name: string) => `/api/v1/functions/${encodeURIComponent(name)}`;
  return {
    /** POST /api/v1/functions: 201 with the function. FunctionAlreadyExists (409), ValidationError, UnknownRuntime (400). */
    create: (body: CreateFunctionInput, opts?: CallOptions) => t.request({ method: "POST", path: "/api/v1/functions", body: { json: body } }, "Function", opts),
    /** GET /api/v1/functions. */
    list: (opts?: CallOptions) => t.request({ method: "GET", path: "/api/v1/functions" }, "FunctionList", opts),
    /** GET /api/v1/functions/{name}. FunctionNotFound (404). */
    get: (name: string, opts?: CallOptions) => t.request({ method: "GET", path: path(name) }, "Function", opts),
    /** PUT /api/v1/functions/{name}: configuration (takes effect in the next version) and capacity settings (at once). */
    update: (name: string, body: UpdateFunctionInput, opts?: CallOptions) => t.request({ method: "PUT", path: path(name), body: { json: body } }, "Function", opts),
    /** DELETE /api/v1/functions/{name}, with its versions and aliases: 204. */
    delete: (name: string, opts?: CallOptions) => t.request({ method: "DELETE", path: path(name) }, null, opts),
  };
}
