/** /api/v1/keys: API key management (admin keys and tokens only). */
import type { CreateKeyBody } from "../protocol/api/keys.ts";
import type { CallOptions, Transport } from "./transport.ts";

export function keysEndpoints(t: Transport) {
  const path = (id?: string, tail = "") => `/api/v1/keys${id === undefined ? "" : `/${encodeURIComponent(id)}${tail}`}`;
  return {
    /** POST /api/v1/keys: 201 with `key` (hs_<id>_<secret>), shown this once. ValidationError (400); Forbidden (403). */
    create: (body: CreateKeyBody, opts?: CallOptions) => t.request({ method: "POST", path: path(), body: { json: body } }, "KeyWithSecret", opts),
    /** GET /api/v1/keys: every key, revoked ones included, never a secret. */
    list: (opts?: CallOptions) => t.request({ method: "GET", path: path() }, "KeyList", opts),
    /** GET /api/v1/keys/{id}. KeyNotFound (404). */
    get: (id: string, opts?: CallOptions) => t.request({ method: "GET", path: path(id) }, "Key", opts),
    /** DELETE /api/v1/keys/{id}: 204; every replica refuses the key from now on. KeyNotFound (404). */
    revoke: (id: string, opts?: CallOptions) => t.request({ method: "DELETE", path: path(id) }, null, opts),
    /** POST /api/v1/keys/{id}/rotate: a new secret (in `key`); the old one is refused. KeyNotFound (404); Conflict (409) when revoked. */
    rotate: (id: string, opts?: CallOptions) => t.request({ method: "POST", path: path(id, "/rotate") }, "KeyWithSecret", opts),
  };
}
