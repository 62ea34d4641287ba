/**
 * The audit trail (GET /api/v1/audit, admin only) and the secrets admin endpoint
 * (POST /api/v1/admin/secrets/rotate): who changed what, and re-sealing every secret under the
 * server's current key after a key rotation.
 */
import type { CallOptions, Transport } from "./transport.ts";

export interface ListAuditOptions extends CallOptions {
  /** e.g. `key:abcd1234`. */
  actor?: string;
  /** An action (`function.update`) or a prefix ending in `*` (`function.*`). */
  action?: string;
  /** A resource type (`function`) or `type:id` (`function:hello`). */
  resource?: string;
  /** ISO-8601 bounds, inclusive. */
  from?: string;
  to?: string;
  /** 1-500. @default 100 */
  limit?: number;
  cursor?: string;
}

export function auditEndpoints(t: Transport) {
  return {
    /** GET /api/v1/audit: entries newest first, secrets masked; `nextCursor` when there may be more. */
    list: (opts: ListAuditOptions = {}) =>
      t.request(
        { method: "GET", path: "/api/v1/audit", query: { actor: opts.actor, action: opts.action, resource: opts.resource, from: opts.from, to: opts.to, limit: opts.limit, cursor: opts.cursor } },
        "AuditPage",
        opts,
      ),
  };
}

export function secretsEndpoints(t: Transport) {
  return {
    /** POST /api/v1/admin/secrets/rotate: re-seal every stored secret under the server's current key. */
    rotate: (opts?: CallOptions) => t.request({ method: "POST", path: "/api/v1/admin/secrets/rotate" }, "SecretRotation", opts),
  };
}
