/**
 * Audit log repository: an append-only record of who changed what, with before/after snapshots.
 */
import { and, desc, eq, type SQL } from "drizzle-orm";
import type { Db } from "../database.ts";
import { auditLogs } from "../schema.ts";

export interface AuditLog {
  id: number;
  at: Date;
  actor: string;
  action: string;
  resourceType: string;
  resourceId: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
}

export interface AuditLogInput {
  actor: string;
  action: string;
  resourceType: string;
  resourceId: string;
  before?: unknown;
  after?: unknown;
  requestId?: string | null;
}

export interface AuditLogQuery {
  resourceType?: string;
  resourceId?: string;
  /** Default 100. */
  limit?: number;
}

export interface AuditLogsRepository {
  append(entry: AuditLogInput): Promise<AuditLog>;
  /** Matching entries, newest first. */
  list(query?: AuditLogQuery): Promise<AuditLog[]>;
}

function toAuditLog(row: typeof auditLogs.$inferSelect): AuditLog {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    resourceType: row.resourceType,
    resourceId: row.resourceId,
    before: row.before ?? null,
    after: row.after ?? null,
    requestId: row.requestId,
  };
}

export function createAuditLogsRepository(db: Db): AuditLogsRepository {
  return {
    async append(entry) {
      const [row] = await db
        .insert(auditLogs)
        .values({
          actor: entry.actor,
          action: entry.action,
          resourceType: entry.resourceType,
          resourceId: entry.resourceId,
          before: entry.before ?? null,
          after: entry.after ?? null,
          requestId: entry.requestId ?? null,
        })
        .returning();
      return toAuditLog(row);
    },

    async list(query = {}) {
      const where: SQL[] = [];
      if (query.resourceType !== undefined) where.push(eq(auditLogs.resourceType, query.resourceType));
      if (query.resourceId !== undefined) where.push(eq(auditLogs.resourceId, query.resourceId));
      const rows = await db
        .select()
        .from(auditLogs)
        .where(and(...where))
        .orderBy(desc(auditLogs.id))
        .limit(query.limit ?? 100);
      return rows.map(toAuditLog);
    },
  };
}
