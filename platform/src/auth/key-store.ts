/**
 * API key storage as authentication sees it: the `ApiKeyStore` port (implemented against
 * the database elsewhere), the `KeyResolver` cache that keeps per-request lookups off the
 * database, and the first-start admin key bootstrap.
 */
import { formatApiKey, generateApiKey, hashSecret, parseApiKey, verifySecret } from "./api-key.ts";
import type { SecretBox } from "./secret-box.ts";
import type { RateLimit } from "../../../protocol/api/rate-limit.ts";

/** One stored API key. The secret is kept only as a hash (Bearer) and sealed (SigV4). */
export interface ApiKeyRecord {
  /** Public key id, `[a-z0-9]{4,32}`. */
  id: string;
  /** Human label, e.g. `"admin"` or `"ci"`. */
  name: string;
  /** `hashSecret(secret)`: hex sha256. */
  secretHash: string;
  /** `box.encrypt(secret, id)`: `v1:<iv>:<tag>:<ct>`. */
  secretEnc: string;
  role: string;
  /** Set when the key is revoked; a revoked key never authenticates. */
  revokedAt: Date | null;
  /** The key's own request rate limit; null or absent: the server default. */
  rateLimit?: RateLimit | null;
  /** Function-name patterns the key is limited to; null or absent: every function. */
  functions?: string[] | null;
  /** May approve deployments to protected aliases. */
  canApprove?: boolean;
  /** After this instant the key no longer authenticates; null or absent: never expires. */
  expiresAt?: Date | null;
}

/** The storage port auth needs. `insert` rejects a duplicate id. */
export interface ApiKeyStore {
  get(id: string): Promise<ApiKeyRecord | null>;
  insert(rec: ApiKeyRecord): Promise<void>;
  count(): Promise<number>;
  /** Optional "last used" bookkeeping; called at most once per key per `touchIntervalMs`. */
  touch?(id: string): Promise<void>;
}

/** Role given to the bootstrap admin key. */
export const ADMIN_ROLE = "admin";

/** Build the stored record for a new key (hash + sealed secret). The caller shows the key once. */
export function newApiKeyRecord(opts: { box: SecretBox; id: string; secret: string; name: string; role: string }): ApiKeyRecord {
  return {
    id: opts.id,
    name: opts.name,
    secretHash: hashSecret(opts.secret),
    secretEnc: opts.box.encrypt(opts.secret, opts.id),
    role: opts.role,
    revokedAt: null,
  };
}

/** What the resolver hands to authenticators for an active (not revoked) key. */
export interface ResolvedKey {
  id: string;
  role: string;
  secretHash: string;
  /** Function-name patterns; undefined: every function. */
  functions?: string[];
  canApprove?: boolean;
  rateLimit?: RateLimit;
}

export interface KeyResolverOptions {
  store: ApiKeyStore;
  box: SecretBox;
  /** How long a found key is trusted without asking the store. @default 30_000 */
  ttlMs?: number;
  /** How long "no such key" is remembered (kept short so a new key works quickly). @default 5_000 */
  negativeTtlMs?: number;
  /** Upper bound on cached ids; the oldest entries go first. @default 10_000 */
  maxEntries?: number;
  /** Minimum time between `store.touch(id)` calls for one key. @default 60_000 */
  touchIntervalMs?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

interface CacheEntry {
  expiresAt: number;
  key: ResolvedKey | null;
  secretEnc?: string;
  secret?: string;
}

/**
 * In-memory cache in front of an `ApiKeyStore`. Revoked and unknown keys resolve to null.
 * Call `invalidate(id)` after revoking (or creating) a key so this replica sees it at once;
 * other replicas hear of it through the state store (key-invalidation.ts), at worst within `ttlMs`.
 */
export class KeyResolver {
  readonly #store: ApiKeyStore;
  readonly #box: SecretBox;
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #maxEntries: number;
  readonly #touchIntervalMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, CacheEntry>();
  /**
   * "No such key" answers, bounded apart from #cache: a flood of made-up key ids evicts only other
   * made-up ids, never a real key's record (the per-address failure limiter bounds the lookups).
   */
  readonly #unknown = new Map<string, CacheEntry>();
  readonly #inflight = new Map<string, Promise<CacheEntry>>();
  readonly #lastTouched = new Map<string, number>();
  /**
   * Whole `hs_<id>_<secret>` tokens whose secret matched the record's hash, mapped to that record.
   * A token counts as verified only while its record is still the cached, fresh one, so a token
   * lives and dies with the record (revocation is seen exactly as soon as without this map).
   */
  readonly #byToken = new Map<string, CacheEntry>();
  /** Bumped by invalidate so a lookup that started before it does not repopulate stale data. */
  #generation = 0;

  constructor(opts: KeyResolverOptions) {
    this.#store = opts.store;
    this.#box = opts.box;
    this.#ttlMs = opts.ttlMs ?? 30_000;
    this.#negativeTtlMs = opts.negativeTtlMs ?? 5_000;
    this.#maxEntries = opts.maxEntries ?? 10_000;
    this.#touchIntervalMs = opts.touchIntervalMs ?? 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The active key with this id, or null when it does not exist or is revoked. */
  async get(id: string): Promise<ResolvedKey | null> {
    return (await this.#entry(id)).key;
  }

  /**
   * The plain secret of an active key (for SigV4), decrypted on first use and cached.
   * Null when the key does not exist or is revoked. Throws when the sealed secret cannot
   * be opened (server key changed): that is an operator problem, not a client one.
   */
  async secret(id: string): Promise<string | null> {
    const entry = await this.#entry(id);
    if (!entry.key || entry.secretEnc === undefined) return null;
    if (entry.secret === undefined) entry.secret = this.#box.decrypt(entry.secretEnc, id);
    return entry.secret;
  }

  /**
   * Check a Bearer secret: the active key when `secret` is its secret, null when it is not (or
   * the key is unknown or revoked). The first success per cached record pays for a sha256 of the
   * secret; the rest are one map lookup, with no await.
   */
  verify(id: string, secret: string): Promise<ResolvedKey | null> {
    const known = this.verifyCached(id, secret);
    if (known !== undefined) return Promise.resolve(known);
    return this.#entry(id).then((entry) => this.#check(entry, secret));
  }

  /**
   * The key for a whole `hs_<id>_<secret>` token that verify() accepted before, while its record
   * is still the cached one and fresh; undefined otherwise (then parse it and call verify()).
   * One map lookup: the invoke hot path's check for a key it has seen.
   */
  verifiedToken(token: string): ResolvedKey | undefined {
    const entry = this.#byToken.get(token);
    if (entry === undefined) return undefined;
    if (this.#cache.get(entry.key!.id) !== entry || entry.expiresAt <= this.#now()) {
      this.#byToken.delete(token);
      return undefined;
    }
    return entry.key!;
  }

  /** verify() from the cache alone: undefined when the key's record is not cached (or has expired). */
  verifyCached(id: string, secret: string): ResolvedKey | null | undefined {
    const cached = this.#cache.get(id) ?? this.#unknown.get(id);
    return cached !== undefined && cached.expiresAt > this.#now() ? this.#check(cached, secret) : undefined;
  }

  #check(entry: CacheEntry, secret: string): ResolvedKey | null {
    const key = entry.key;
    if (key === null) return null;
    const token = formatApiKey(key.id, secret);
    if (this.#byToken.get(token) === entry) return key;
    if (!verifySecret(secret, key.secretHash)) return null;
    if (this.#byToken.size >= this.#maxEntries) this.#byToken.clear();
    this.#byToken.set(token, entry);
    return key;
  }

  /** Drop the cached record for `id` (after revoke, role change or create). */
  invalidate(id: string): void {
    this.#generation++;
    this.#cache.delete(id); // its tokens in #byToken no longer match the cached record: refused from now on
    this.#unknown.delete(id);
    this.#inflight.delete(id);
  }

  /** Drop everything. */
  clear(): void {
    this.#generation++;
    this.#cache.clear();
    this.#unknown.clear();
    this.#byToken.clear();
    this.#inflight.clear();
  }

  /** Record that a key was used: forwards to `store.touch`, throttled, fire-and-forget. */
  markUsed(id: string): void {
    if (!this.#store.touch) return;
    const now = this.#now();
    const last = this.#lastTouched.get(id);
    if (last !== undefined && now - last < this.#touchIntervalMs) return;
    this.#lastTouched.set(id, now);
    if (this.#lastTouched.size > this.#maxEntries) this.#lastTouched.delete(this.#lastTouched.keys().next().value!);
    // Bookkeeping only: a failure must not fail the request.
    this.#store.touch(id).catch(() => {});
  }

  async #entry(id: string): Promise<CacheEntry> {
    const cached = this.#cache.get(id) ?? this.#unknown.get(id);
    if (cached && cached.expiresAt > this.#now()) return cached;
    const pending = this.#inflight.get(id);
    if (pending) return pending;
    const generation = this.#generation;
    const p = this.#load(id).then(
      (entry) => {
        if (this.#inflight.get(id) === p) this.#inflight.delete(id);
        if (generation === this.#generation) this.#remember(id, entry);
        return entry;
      },
      (err: unknown) => {
        if (this.#inflight.get(id) === p) this.#inflight.delete(id);
        throw err;
      },
    );
    this.#inflight.set(id, p);
    return p;
  }

  async #load(id: string): Promise<CacheEntry> {
    const rec = await this.#store.get(id);
    const now = this.#now();
    const expires = rec?.expiresAt ? rec.expiresAt.getTime() : Infinity;
    if (!rec || rec.revokedAt !== null || expires <= now) return { expiresAt: now + this.#negativeTtlMs, key: null };
    const key: ResolvedKey = { id: rec.id, role: rec.role, secretHash: rec.secretHash };
    if (rec.functions) key.functions = rec.functions;
    if (rec.canApprove) key.canApprove = true;
    if (rec.rateLimit) key.rateLimit = rec.rateLimit;
    // An expiring key is trusted from the cache only until it expires: refused at that instant.
    return { expiresAt: Math.min(now + this.#ttlMs, expires), key, secretEnc: rec.secretEnc };
  }

  #remember(id: string, entry: CacheEntry): void {
    this.#cache.delete(id);
    this.#unknown.delete(id);
    const map = entry.key === null ? this.#unknown : this.#cache;
    map.set(id, entry);
    while (map.size > this.#maxEntries) map.delete(map.keys().next().value!);
  }
}

export interface EnsureAdminKeyOptions {
  store: ApiKeyStore;
  box: SecretBox;
  /** `HOTSWAP_ADMIN_KEY`: when set, this key is the admin key. */
  adminKey?: string;
}

export type EnsureAdminKeyResult =
  /** A key was inserted. `key` is set only when it was generated: print it once, it is not recoverable. */
  | { created: true; id: string; key?: string }
  /** Nothing inserted. `id` is the configured key's id; unset when keys already existed and none is configured. */
  | { created: false; id?: string };

/**
 * First-start bootstrap. With `adminKey`, insert it when its id is absent (never return it).
 * Without it, generate an admin key only when the store is empty and return it once.
 */
export async function ensureAdminKey(opts: EnsureAdminKeyOptions): Promise<EnsureAdminKeyResult> {
  const { store, box } = opts;
  if (opts.adminKey !== undefined) return ensureConfiguredKey({ store, box, key: opts.adminKey, variable: "HOTSWAP_ADMIN_KEY", name: "admin", role: ADMIN_ROLE });
  if ((await store.count()) > 0) return { created: false };
  const { id, secret } = generateApiKey();
  await store.insert(newApiKeyRecord({ box, id, secret, name: "admin", role: ADMIN_ROLE }));
  return { created: true, id, key: formatApiKey(id, secret) };
}

/**
 * A key fixed by configuration (`variable`, e.g. HOTSWAP_ADMIN_KEY or HOTSWAP_METRICS_KEY): inserted
 * with `role` when its id is absent; refused when the id exists with another secret or role.
 */
export async function ensureConfiguredKey(opts: { store: ApiKeyStore; box: SecretBox; key: string; variable: string; name: string; role: string }): Promise<EnsureAdminKeyResult> {
  const { store, box, variable } = opts;
  const parsed = parseApiKey(opts.key);
  if (!parsed) throw new Error(`${variable} must look like hs_<id>_<secret>: id is 4-32 of [a-z0-9], secret is 32+ of [A-Za-z0-9]`);
  const existing = await store.get(parsed.id);
  if (existing) return checkConfiguredMatches(existing, parsed.secret, opts);
  try {
    await store.insert(newApiKeyRecord({ box, id: parsed.id, secret: parsed.secret, name: opts.name, role: opts.role }));
  } catch (e) {
    // Another replica inserted it between our get and insert.
    const raced = await store.get(parsed.id);
    if (raced) return checkConfiguredMatches(raced, parsed.secret, opts);
    throw e;
  }
  return { created: true, id: parsed.id };
}

function checkConfiguredMatches(rec: ApiKeyRecord, secret: string, o: { variable: string; name: string; role: string }): EnsureAdminKeyResult {
  if (!verifySecret(secret, rec.secretHash)) {
    throw new Error(
      `${o.variable}: a key with id "${rec.id}" already exists with a different secret. ` +
        `Use a new id for the new ${o.name} key (and revoke the old one), or restore the original ${o.variable}.`,
    );
  }
  if (rec.role !== o.role) throw new Error(`${o.variable}: the key with id "${rec.id}" has role "${rec.role}", not "${o.role}". Give the ${o.name} key an id of its own.`);
  return { created: false, id: rec.id };
}
