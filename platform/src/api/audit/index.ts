/**
 * GET /api/v1/audit: the audit trail of management writes, newest first, filtered by actor, action
 * (exact or a `prefix*`), resource (`type` or `type:id`) and time, paged by an opaque cursor. Rows
 * come from the audit repository, which masks secrets in before/after (audit/redact.ts).
 */
import { createRoute } from "@hono/zod-openapi";
import { AuditPage, ListAuditQuery, type AuditEntry } from "../../../../protocol/api/audit.ts";
import { ApiError } from "../../../../protocol/errors.ts";
import type { AuditLog, AuditLogQuery, Repositories } from "../../db/repositories/index.ts";
import { createRouter, errorResponses } from "../openapi.ts";

const list = createRoute({
  method: "get",
  path: "/api/v1/audit",
  tags: ["audit"],
  summary: "List audit entries (who changed what), newest first",
  request: { query: ListAuditQuery },
  responses: { 200: { description: "A page of entries", content: { "application/json": { schema: AuditPage } } }, ...errorResponses(400, 401, 403) },
});

export function auditEntryView(e: AuditLog): AuditEntry {
  return {
    id: e.id,
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    resource: { type: e.resourceType, id: e.resourceId },
    requestId: e.requestId,
    before: e.before,
    after: e.after,
  };
}

/** The repository query for the API's query. */
export function auditQuery(q: ListAuditQuery): AuditLogQuery {
  const out: AuditLogQuery = { limit: q.limit };
  if (q.actor !== undefined) out.actor = q.actor;
  if (q.action !== undefined) {
    if (q.action.endsWith("*")) out.actionPrefix = q.action.slice(0, -1);
    else out.action = q.action;
  }
  if (q.resource !== undefined) {
    const colon = q.resource.indexOf(":");
    out.resourceType = colon < 0 ? q.resource : q.resource.slice(0, colon);
    if (colon >= 0) out.resourceId = q.resource.slice(colon + 1);
  }
  if (q.from !== undefined) out.from = new Date(q.from);
  if (q.to !== undefined) out.to = new Date(q.to);
  if (out.from && out.to && out.from > out.to) throw new ApiError("ValidationError", `query field "from" (${q.from}) is after "to" (${q.to}); swap them.`);
  if (q.cursor !== undefined) out.beforeId = Number(q.cursor);
  return out;
}

export function auditRoutes(repos: Pick<Repositories, "auditLogs">) {
  const app = createRouter();
  app.openapi(list, async (c) => {
    const q = c.req.valid("query");
    const rows = await repos.auditLogs.list(auditQuery(q));
    const full = rows.length === q.limit;
    return c.json({ entries: rows.map(auditEntryView), ...(full ? { nextCursor: String(rows[rows.length - 1].id) } : {}) }, 200);
  });
  return app;
}
