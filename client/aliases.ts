/** /api/v1/functions/{name}/aliases: weighted aliases over immutable versions. */
import type { PutAliasInput } from "../protocol/api/aliases.ts";
import type { CallOptions, Transport } from "./transport.ts";

export function aliasesEndpoints(t: Transport) {
  const path = (fn: string, alias?: string) => `/api/v1/functions/${encodeURIComponent(fn)}/aliases${alias === undefined ? "" : `/${encodeURIComponent(alias)}`}`;
  return {
    /**
     * PUT /api/v1/functions/{name}/aliases/{alias}: status 201 when created, 200 when updated.
     * AliasLocked (409) while a deployment owns the alias; AliasProtected (409) when the alias is protected and the
     * write would move its traffic (start a deployment instead); Forbidden (403) changing `protected` without
     * deployments:approve; InvalidRoutingConfig (400); VersionNotFound (404).
     */
    put: (fn: string, alias: string, body: PutAliasInput, opts?: CallOptions) => t.request({ method: "PUT", path: path(fn, alias), body: { json: body } }, "Alias", opts),
    /** GET /api/v1/functions/{name}/aliases/{alias}. AliasNotFound (404). */
    get: (fn: string, alias: string, opts?: CallOptions) => t.request({ method: "GET", path: path(fn, alias) }, "Alias", opts),
    /** GET /api/v1/functions/{name}/aliases. */
    list: (fn: string, opts?: CallOptions) => t.request({ method: "GET", path: path(fn) }, "AliasList", opts),
    /** DELETE /api/v1/functions/{name}/aliases/{alias}: 204. AliasLocked (409); AliasProtected (409) for a protected alias. */
    delete: (fn: string, alias: string, opts?: CallOptions) => t.request({ method: "DELETE", path: path(fn, alias) }, null, opts),
  };
}
