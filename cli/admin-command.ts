/**
 * `hotswap admin reset-key [--key-id <id>]`: recover from a lost admin key, offline. Revokes the
 * active admin keys (or the one named) and prints a new admin key once. Works on the data dir
 * (stop the server first: the embedded database is one process's) or on DATABASE_URL (servers may
 * run). With REDIS_URL, each revocation is announced on the cluster's key channel, as the key API
 * does, so running replicas drop the key from their caches at once; without it (or when Redis
 * cannot be reached) they refuse it once their cache expires, within 30 s, and the command says so.
 */
import { loadSecretKeyring, SecretBox } from "../platform/src/auth/secret-box.ts";
import { resetAdminKey } from "../platform/src/auth/admin-key-reset.ts";
import { announceKeyChange } from "../platform/src/auth/key-invalidation.ts";
import { createStateStore, type StateStore } from "../shared/state/index.ts";
import type { Config } from "../platform/src/config.ts";
import { withOfflineStore } from "./offline-store.ts";

export const ADMIN_USAGE = `Usage: hotswap admin reset-key [--key-id <id>]

  Revokes every active admin API key (or only <id>) and prints a new admin key.
  Reads the server's configuration (HOTSWAP_DATA_DIR, DATABASE_URL, HOTSWAP_SECRET_KEY...).
  With the embedded database, stop the server first.`;

export async function runAdminCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = args;
  let keyId: string | undefined;
  if (rest.length === 2 && rest[0] === "--key-id") keyId = rest[1];
  if (sub !== "reset-key" || (rest.length !== 0 && keyId === undefined)) {
    process.stderr.write(`${ADMIN_USAGE}\n`);
    return 2;
  }
  return withOfflineStore("admin reset-key", env, async ({ config, dataDir, repos }) => {
    const box = new SecretBox(await loadSecretKeyring({ configured: config.secretKey, previous: config.previousSecretKeys, dataDir }));
    // With the embedded database no server runs (it holds the database); with Postgres they may.
    const announcer = await keyChangeAnnouncer(config.state, config.database.kind !== "pglite");
    try {
      const reset = await resetAdminKey({ repos, box, keyId, revokedKey: announcer.announce });
      const revoked = reset.revoked.length > 0 ? `Revoked admin key${reset.revoked.length > 1 ? "s" : ""}: ${reset.revoked.join(", ")}` : "No active admin key was found; none revoked.";
      process.stdout.write(`${revoked}\n\n  New admin API key (shown once; store it now):\n    ${reset.key}\n`);
      if (reset.revoked.length > 0 && announcer.warning) process.stderr.write(`hotswap admin reset-key: ${announcer.warning}\n`);
    } finally {
      await announcer.close();
    }
  });
}

/**
 * Announces revoked keys to running replicas through the configured Redis. Never throws: the
 * revocation is already in the database and the new key must still be printed, so a Redis that
 * cannot be reached only turns into the warning of when replicas will refuse the key anyway.
 */
async function keyChangeAnnouncer(cfg: Config["state"], serversMayRun: boolean): Promise<{ announce(id: string): Promise<void>; warning?: string; close(): Promise<void> }> {
  const late = "running servers refuse the revoked key once their key cache expires (within 30 s)";
  if (cfg.kind === "memory") return { announce: async () => {}, warning: serversMayRun ? `no REDIS_URL: ${late}.` : undefined, close: async () => {} };
  let state: StateStore | undefined;
  let failure: string | undefined;
  try {
    state = await createStateStore(cfg);
  } catch (e) {
    failure = (e as Error).message;
  }
  const announcer = {
    warning: failure === undefined ? undefined : `could not tell running servers (${failure}); ${late}.`,
    async announce(id: string) {
      if (!state) return;
      try {
        await announceKeyChange(state, id);
      } catch (e) {
        announcer.warning = `could not tell running servers (${(e as Error).message}); ${late}.`;
      }
    },
    close: async () => {
      await state?.close();
    },
  };
  return announcer;
}
