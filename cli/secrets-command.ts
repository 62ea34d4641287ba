/**
 * `hotswap secrets rotate-key`: rotate the key that seals secrets at rest, offline, and re-seal every
 * stored value (function secrets, version snapshots, API key secrets) under it.
 *   - Key file (no HOTSWAP_SECRET_KEY): a fresh key goes first in <data dir>/secret.key, the old one
 *     stays as a previous key (remove it later by hand); restart the servers to seal with the new one.
 *   - HOTSWAP_SECRET_KEY: the operator sets the new key there and the old one in
 *     HOTSWAP_PREVIOUS_SECRET_KEYS; this command (or POST /api/v1/admin/secrets/rotate) re-seals.
 */
import { addSecretKeyToFile, loadSecretKeyring, SecretBox } from "../platform/src/auth/secret-box.ts";
import { resealAll } from "../platform/src/auth/secret-rotation.ts";
import { withOfflineStore } from "./offline-store.ts";

export const SECRETS_USAGE = `Usage: hotswap secrets rotate-key

  Re-seals every stored secret under a new key. With the key file (<data dir>/secret.key), a new
  key is generated and put first, the old one kept as a previous key. With HOTSWAP_SECRET_KEY,
  set the new key there and the old one in HOTSWAP_PREVIOUS_SECRET_KEYS first.
  With the embedded database, stop the server first.`;

export async function runSecretsCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  if (args.length !== 1 || args[0] !== "rotate-key") {
    process.stderr.write(`${SECRETS_USAGE}\n`);
    return 2;
  }
  return withOfflineStore("secrets rotate-key", env, async ({ config, dataDir, repos }) => {
    const fromFile = config.secretKey === undefined;
    const ring = fromFile ? await addSecretKeyToFile(dataDir) : await loadSecretKeyring({ configured: config.secretKey, previous: config.previousSecretKeys, dataDir });
    const box = new SecretBox(ring);
    const r = await resealAll(repos.sealedSecrets, box);
    await repos.auditLogs.append({ actor: "cli:secrets-rotate-key", action: "secrets.rotate", resourceType: "secret-key", resourceId: r.keyId, before: null, after: r });
    const next = fromFile
      ? `The previous key stays in ${dataDir}/secret.key (lines after the first) so servers still running with it keep working; restart them, then remove those lines.`
      : "Every value is sealed under HOTSWAP_SECRET_KEY now: once every replica runs with it, drop HOTSWAP_PREVIOUS_SECRET_KEYS.";
    process.stdout.write(`Secrets re-sealed under key id ${r.keyId}: ${r.functions} function secret(s), ${r.versions} version secret(s), ${r.apiKeys} API key secret(s); ${r.unchanged} already current.\n${next}\n`);
  });
}
