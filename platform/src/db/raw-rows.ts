/**
 * Results of raw `db.execute(sql...)` statements, read the same way from either driver:
 * postgres.js answers an array of rows (with `count`), PGlite an object with `rows` (and `affectedRows`).
 */

/** Rows a raw select returns. */
export function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

/** Rows a statement reports as affected. */
export function affected(result: unknown): number {
  const r = result as { count?: number; affectedRows?: number; length?: number };
  return Number(r.count ?? r.affectedRows ?? 0);
}
