/** Uuid-keyed lookups: ids arrive from URLs, and a malformed one must read as "not found". */

/** True for a canonical uuid; anything else would make Postgres raise a cast error (22P02). */
export function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
