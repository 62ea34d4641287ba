/**
 * `hotswap admin reset-key [--key-id <id>]`: recover from a lost admin key, offline. Revokes the
 * active admin keys (or the one named) and prints a new admin key once. Works on the data dir
 * (stop the server first: the embedded database is one process's) or on DATABASE_URL (servers may
 * run; they refuse a revoked key once their key cache expires, within 30 s).
 */
import { loadSecretKeyring, SecretBox } from "../platform/src/auth/secret-box.ts";
import { resetAdminKey } from "../platform/src/auth/admin-key-reset.ts";
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
    const reset = await resetAdminKey({ repos, box, keyId });
    const revoked = reset.revoked.length > 0 ? `Revoked admin key${reset.revoked.length > 1 ? "s" : ""}: ${reset.revoked.join(", ")}` : "No active admin key was found; none revoked.";
    process.stdout.write(`${revoked}\n\n  New admin API key (shown once; store it now):\n    ${reset.key}\n`);
  });
}
