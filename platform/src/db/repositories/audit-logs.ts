/**
 * Audit log repository: an append-only record of who changed what, with before/after snapshots.
 * Secrets are masked on the way in and on the way out (audit/redact.ts).
 */
import { and, desc, eq, gte, like, lt, lte, type SQL } from "drizzle-orm";
import type { Db } from "../database.ts";
import { auditLogs } from "../schema.ts";
import { redactSecrets } from "../../audit/redact.ts";

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
  actor?: string;
  /** Exact action, e.g. `function.update`. */
  action?: string;
  /** Actions starting with this, e.g. `function.` */
  actionPrefix?: string;
  /** Entries at or after this time. */
  from?: Date;
  /** Entries at or before this time. */
  to?: Date;
  /** Only entries older than this id (the previous page's last id). */
  beforeId?: number;
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
    before: redactSecrets(row.before ?? null),
    after: redactSecrets(row.after ?? null),
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
          before: redactSecrets(entry.before ?? null),
          after: redactSecrets(entry.after ?? null),
          requestId: entry.requestId ?? null,
        })
        .returning();
      return toAuditLog(row);
    },

    async list(query = {}) {
      const where: SQL[] = [];
      if (query.resourceType !== undefined) where.push(eq(auditLogs.resourceType, query.resourceType));
      if (query.resourceId !== undefined) where.push(eq(auditLogs.resourceId, query.resourceId));
      if (query.actor !== undefined) where.push(eq(auditLogs.actor, query.actor));
      if (query.action !== undefined) where.push(eq(auditLogs.action, query.action));
      if (query.actionPrefix !== undefined) where.push(like(auditLogs.action, `${query.actionPrefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`));
      if (query.from !== undefined) where.push(gte(auditLogs.at, query.from));
      if (query.to !== undefined) where.push(lte(auditLogs.at, query.to));
      if (query.beforeId !== undefined) where.push(lt(auditLogs.id, query.beforeId));
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
