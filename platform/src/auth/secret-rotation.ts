/**
 * Key rotation's second half: re-seal every stored secret (function secrets, their version
 * snapshots, API key secrets) under the keyring's current key, so the previous keys can be dropped
 * from the configuration afterwards. Shared by POST /api/v1/admin/secrets/rotate and
 * `hotswap secrets rotate-key`. Idempotent: values already under the current key are skipped, and a
 * value that changed while the sweep ran is left to whoever changed it (it was sealed under the
 * current key then). Plain values exist only inside this loop, never in its result or a log.
 */
import type { SealedSecretsRepository } from "../db/repositories/sealed-secrets.ts";
import { secretContext } from "../functions/function-secrets.ts";
import type { SecretBox } from "./secret-box.ts";

/** What a re-seal changed: values moved to the current key, per kind. */
export interface ResealReport {
  /** The key id every value is now sealed under. */
  keyId: string;
  functions: number;
  versions: number;
  apiKeys: number;
  /** Values that were already under the current key. */
  unchanged: number;
}

/** Re-seal one record's map of secrets; null when none of its values was stale. */
function resealMap(box: SecretBox, functionName: string, sealed: Record<string, string>): { next: Record<string, string>; moved: number } | null {
  let moved = 0;
  const next: Record<string, string> = {};
  for (const [name, value] of Object.entries(sealed)) {
    if (box.isStale(value)) {
      next[name] = box.reseal(value, secretContext(functionName, name));
      moved++;
    } else next[name] = value;
  }
  return moved > 0 ? { next, moved } : null;
}

/** Re-seal every stale value under `box`'s current key. Throws (naming the record, never a value) when one cannot be opened. */
export async function resealAll(store: SealedSecretsRepository, box: SecretBox): Promise<ResealReport> {
  const report: ResealReport = { keyId: box.keyId, functions: 0, versions: 0, apiKeys: 0, unchanged: 0 };
  for (const f of await store.functions()) {
    const r = withRecord(`function "${f.name}"`, () => resealMap(box, f.name, f.secrets));
    if (r === null) report.unchanged += Object.keys(f.secrets).length;
    else if (await store.replaceFunction(f.name, f.secrets, r.next)) report.functions += r.moved;
  }
  for (const v of await store.versions()) {
    const r = withRecord(`a version of function "${v.functionName}"`, () => resealMap(box, v.functionName, v.secrets));
    if (r === null) report.unchanged += Object.keys(v.secrets).length;
    else if (await store.replaceVersion(v.id, v.secrets, r.next)) report.versions += r.moved;
  }
  for (const k of await store.apiKeys()) {
    if (!box.isStale(k.secretEnc)) {
      report.unchanged++;
      continue;
    }
    // API key secrets are sealed for their key id (key-store.ts newApiKeyRecord).
    const next = withRecord(`API key "${k.id}"`, () => box.reseal(k.secretEnc, k.id));
    if (await store.replaceApiKey(k.id, k.secretEnc, next)) report.apiKeys++;
  }
  return report;
}

function withRecord<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new Error(`Cannot re-seal ${what}: ${(e as Error).message}`);
  }
}
