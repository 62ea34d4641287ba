/**
 * Wire schemas of GET /api/v1/audit: the trail of every management write (who, what, which
 * resource, when, in which request, and the resource before and after with secrets masked),
 * newest first, filtered by actor, action, resource and time, paged by cursor.
 */
import { z } from "@hono/zod-openapi";

const TIME = "must be an ISO-8601 date-time, e.g. 2026-01-31T12:00:00Z";
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d{2}-\d{2}/.test(s), TIME);

export const ListAuditQuery = z.object({
  actor: z.string().min(1).max(200).optional().openapi({ description: "Who did it, e.g. `key:abcd1234` or a JWT subject", example: "key:abcd1234" }),
  action: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}\*?$/, "must be an action such as function.update, or a prefix ending in * such as function.*")
    .optional()
    .openapi({ description: "An action (`function.update`), or a prefix ending in `*` (`function.*`)", example: "function.*" }),
  resource: z
    .string()
    .regex(/^[a-z_-]{1,40}(:.{1,300})?$/, "must be a resource type (function) or type:id (function:hello, alias:hello:live)")
    .optional()
    .openapi({ description: "A resource type (`function`) or `type:id` (`function:hello`, `alias:hello:live`, `trigger:<id>`)", example: "function:hello" }),
  from: isoTime.optional().openapi({ description: "Entries at or after this time (ISO-8601)" }),
  to: isoTime.optional().openapi({ description: "Entries at or before this time (ISO-8601)" }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().regex(/^[0-9]{1,19}$/, "must be the nextCursor of a previous page").optional().openapi({ description: "nextCursor of the previous page" }),
});
export type ListAuditQuery = z.infer<typeof ListAuditQuery>;

export const AuditEntry = z
  .object({
    id: z.number(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    resource: z.object({ type: z.string(), id: z.string() }),
    requestId: z.string().nullable(),
    /** The resource before the write (null for a create), secrets masked. */
    before: z.unknown(),
    /** The resource after the write (null for a delete), secrets masked. */
    after: z.unknown(),
  })
  .openapi("AuditEntry");
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditPage = z.object({ entries: z.array(AuditEntry), nextCursor: z.string().optional() }).openapi("AuditPage");
export type AuditPage = z.infer<typeof AuditPage>;
