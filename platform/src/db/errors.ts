/**
 * Database errors the repositories translate into, so callers never inspect driver errors.
 * postgres.js and PGlite both report SQLSTATE in `.code`; drizzle wraps either in a
 * DrizzleQueryError whose `cause` is the driver error, hence the walk down the cause chain.
 */

/** SQLSTATE for unique_violation. */
export const UNIQUE_VIOLATION = "23505";
/** SQLSTATE for foreign_key_violation. */
export const FOREIGN_KEY_VIOLATION = "23503";

/** A row with the same unique key (for example a function name) already exists. */
export class DuplicateError extends Error {
  override readonly name = "DuplicateError";
  constructor(
    /** What was duplicated, e.g. `function "hello"`. */
    readonly resource: string,
    /** The violated constraint, when the driver reported it. */
    readonly constraint?: string,
    options?: { cause?: unknown },
  ) {
    super(`${resource} already exists`, options);
  }
}

export function isDuplicateError(e: unknown): e is DuplicateError {
  return e instanceof DuplicateError;
}

/** The SQLSTATE of a driver error anywhere in the cause chain, if any. */
export function sqlState(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === "object" && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The constraint name of a driver error anywhere in the cause chain (postgres.js: constraint_name, PGlite: constraint). */
function constraintName(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === "object" && depth < 5; depth++) {
    const c = cur as { constraint?: unknown; constraint_name?: unknown; cause?: unknown };
    const name = c.constraint_name ?? c.constraint;
    if (typeof name === "string") return name;
    cur = c.cause;
  }
  return undefined;
}

/** Run `op`, turning a unique violation into DuplicateError(resource). Other errors pass through. */
export async function translateUnique<T>(resource: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (sqlState(e) === UNIQUE_VIOLATION) throw new DuplicateError(resource, constraintName(e), { cause: e });
    throw e;
  }
}
