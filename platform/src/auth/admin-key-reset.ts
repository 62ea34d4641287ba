/**
 * Offline recovery of a lost admin key (`hotswap admin reset-key`): revoke the active admin keys
 * (or the one named) and create a new admin key, shown once to whoever runs the command. It works on
 * the database directly, so it needs no key, only access to the data dir or DATABASE_URL. Each step
 * is an audit row by actor `cli:admin-reset-key`.
 */
import type { Repositories } from "../db/index.ts";
import { generateApiKey } from "./api-key.ts";
import { ADMIN_ROLE, newApiKeyRecord } from "./key-store.ts";
import type { SecretBox } from "./secret-box.ts";

export const RESET_ACTOR = "cli:admin-reset-key";

export interface AdminKeyReset {
  /** Ids of the keys revoked. */
  revoked: string[];
  /** The new admin key, `hs_<id>_<secret>`: print it once. */
  key: string;
  id: string;
}

/**
 * Revoke `keyId` (which must be an active admin key), or every active admin key when it is not
 * given, then insert a new admin key. Throws a message meant for the operator when `keyId` is not
 * an active admin key.
 */
export async function resetAdminKey(opts: {
  repos: Pick<Repositories, "apiKeys" | "auditLogs">;
  box: SecretBox;
  keyId?: string;
  /**
   * Called with each revoked key's id once it is revoked in the database: the caller tells running
   * replicas to drop it from their caches (announceKeyChange on the cluster's state store).
   */
  revokedKey?: (id: string) => Promise<void>;
}): Promise<AdminKeyReset> {
  const { repos, box } = opts;
  const admins = (await repos.apiKeys.list()).filter((k) => k.role === ADMIN_ROLE && k.revokedAt === null);
  const targets = opts.keyId === undefined ? admins : admins.filter((k) => k.id === opts.keyId);
  if (opts.keyId !== undefined && targets.length === 0) {
    throw new Error(`No active admin key has id "${opts.keyId}". Active admin keys: ${admins.map((k) => k.id).join(", ") || "(none)"}. Leave out --key-id to revoke them all.`);
  }
  const revoked: string[] = [];
  for (const k of targets) {
    if (!(await repos.apiKeys.revoke(k.id))) continue;
    revoked.push(k.id);
    await opts.revokedKey?.(k.id);
    await repos.auditLogs.append({ actor: RESET_ACTOR, action: "apikey.revoke", resourceType: "apikey", resourceId: k.id, before: { id: k.id, name: k.name, role: k.role }, after: null });
  }
  const { id, secret, key } = generateApiKey();
  const rec = newApiKeyRecord({ box, id, secret, name: "admin", role: ADMIN_ROLE });
  await repos.apiKeys.insert({ id: rec.id, name: rec.name, secretHash: rec.secretHash, secretEnc: rec.secretEnc, role: rec.role });
  await repos.auditLogs.append({ actor: RESET_ACTOR, action: "apikey.create", resourceType: "apikey", resourceId: id, before: null, after: { id, name: "admin", role: ADMIN_ROLE } });
  return { revoked, key, id };
}
