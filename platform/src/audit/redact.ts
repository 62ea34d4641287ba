/**
 * What an audit row may hold: before/after snapshots with every secret replaced by "***". Applied by
 * the audit repository to every row it writes and every row it reads back, so a writer that forgets
 * (or an older row) cannot leak one. Secrets are recognised by field name (`secrets` maps, any
 * `secret*`, `password`, `token` or `privateKey` field) and by shape (an API key `hs_<id>_<secret>`
 * anywhere keeps its public id, loses its secret).
 */
import { SECRET_MASK } from "../../../protocol/api/functions.ts";

/** Fields whose string value is secret (an A/B rule's `key` object and the like are not these). */
const SECRET_FIELD = /^(secret|secretHash|secretEnc|secretKey|secretAccessKey|password|token|privateKey)$/i;
/** An API key anywhere in a string: its secret part goes. */
const API_KEY = /\b(hs_[a-z0-9]{4,32}_)[A-Za-z0-9]{32,}\b/g;
/** How deep a snapshot is walked; deeper values are dropped rather than copied unchecked. */
const MAX_DEPTH = 16;

/** A copy of `value` with its secrets masked. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return value.replace(API_KEY, `$1${SECRET_MASK}`);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return SECRET_MASK;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "secrets" && v !== null && typeof v === "object" && !Array.isArray(v)) out[k] = Object.fromEntries(Object.keys(v).map((name) => [name, SECRET_MASK]));
    else if (SECRET_FIELD.test(k) && typeof v === "string") out[k] = SECRET_MASK;
    else out[k] = redactSecrets(v, depth + 1);
  }
  return out;
}
