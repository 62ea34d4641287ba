/**
 * Digests of the function catalog (functions and their aliases and versions), computed in the
 * database so a control plane can tell cheaply whether its routing table is still current:
 * one short value for the whole catalog, and one per function when the whole one moved.
 *
 * A function's digest covers its row's updated_at (every configuration change bumps it), its
 * latest_version (a publish; versions are immutable), its event-invoke config, and each alias's
 * name and updated_at (every alias write bumps it). The catalog digest is the count and sum of
 * those, so it changes whenever any of them does.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { rowsOf } from "../raw-rows.ts";

export interface CatalogDigestsRepository {
  /** One value for the whole catalog. */
  catalog(): Promise<string>;
  /** Function name → its digest, for every function. */
  perFunction(): Promise<Map<string, string>>;
}

const PER_FUNCTION = sql`
  select f.name, hashtextextended(
      f.updated_at::text || '/' || f.latest_version::text || '/' || coalesce(f.event_invoke_config::text, '') || '/' || coalesce(al.t, ''), 0) as h
  from functions f
  left join (
    select function_name, string_agg(name || '@' || updated_at::text, '|' order by name) as t
    from function_aliases group by function_name
  ) al on al.function_name = f.name`;

export function createCatalogDigestsRepository(db: Db): CatalogDigestsRepository {
  return {
    async catalog() {
      const [row] = rowsOf<{ d: string }>(await db.execute(sql`select count(*)::text || ':' || coalesce(sum(d.h), 0)::text as d from (${PER_FUNCTION}) d`));
      return row!.d;
    },
    async perFunction() {
      const rows = rowsOf<{ name: string; h: string }>(await db.execute(sql`select d.name, d.h::text as h from (${PER_FUNCTION}) d`));
      return new Map(rows.map((r) => [r.name, r.h]));
    },
  };
}
