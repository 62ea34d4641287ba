/**
 * A function's secret environment variables: sealing what a client sends (a "***" keeps the stored
 * value), masking for every answer and audit row, and opening them where the runner's spec is built
 * (the routing table), which is the only place their plain values exist on the control plane.
 * Each value is sealed for its own function and name (AES-GCM additional data), so a sealed value
 * copied onto another function or variable fails to open. Versions copy the sealed values as they
 * are: the context does not involve the version.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { SECRET_MASK, type MaskedSecrets } from "../../../protocol/api/functions.ts";
import type { SecretBox } from "../auth/secret-box.ts";

/** Lambda's limit on a function's whole environment, secrets included. */
const MAX_ENV_BYTES = 4096;

/** The additional data a secret is sealed for: its function and its name. */
export function secretContext(functionName: string, name: string): string {
  return `function-secret:${functionName}:${name}`;
}

/** Every secret name mapped to "***": what answers and audit rows show. */
export function maskSecrets(sealed: Readonly<Record<string, string>>): MaskedSecrets {
  const out: MaskedSecrets = {};
  for (const name of Object.keys(sealed).sort()) out[name] = SECRET_MASK;
  return out;
}

/**
 * The sealed set for `given` (the whole new set): new values are sealed under the box's current
 * key; "***" keeps the value stored under that name, and is refused for a name with no stored value.
 */
export function sealSecrets(box: SecretBox | undefined, functionName: string, given: Readonly<Record<string, string>>, stored: Readonly<Record<string, string>> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value === SECRET_MASK) {
      if (stored[name] === undefined) {
        throw new ApiError("ValidationError", `body field "secrets.${name}": "${SECRET_MASK}" keeps a stored secret, but function "${functionName}" has no secret "${name}"; send its value instead.`);
      }
      out[name] = stored[name];
      continue;
    }
    if (box === undefined) throw new Error("sealing function secrets needs the server's SecretBox");
    out[name] = box.encrypt(value, secretContext(functionName, name));
  }
  return out;
}

/** The plain values of a function's (or version's) sealed secrets, for the runner's spec only. */
export function openSecrets(box: SecretBox | undefined, functionName: string, sealed: Readonly<Record<string, string>>): Record<string, string> {
  const names = Object.keys(sealed);
  if (names.length === 0) return {};
  if (box === undefined) throw new Error(`function "${functionName}" has secrets but this routing table has no SecretBox to open them`);
  const out: Record<string, string> = {};
  for (const name of names) out[name] = box.decrypt(sealed[name], secretContext(functionName, name));
  return out;
}

/**
 * The checks that need environment and secrets together: a name is one or the other, and the two
 * fit Lambda's 4 KB (sizes of the values sent; a kept "***" value is not counted again).
 */
export function assertSecretsFit(environment: Readonly<Record<string, string>>, secrets: Readonly<Record<string, string>>): void {
  const both = Object.keys(secrets).filter((name) => Object.hasOwn(environment, name));
  if (both.length > 0) {
    throw new ApiError("ValidationError", `${both.map((n) => `"${n}"`).join(", ")} ${both.length === 1 ? "is" : "are"} in both environment and secrets; a variable is one or the other. Remove it from one of them.`);
  }
  let given = 0;
  for (const [name, value] of Object.entries(secrets)) if (value !== SECRET_MASK) given += Buffer.byteLength(JSON.stringify({ [name]: value }));
  const size = Buffer.byteLength(JSON.stringify(environment)) + given;
  if (size > MAX_ENV_BYTES) {
    throw new ApiError("ValidationError", `environment and secrets together are about ${size} bytes; the limit is ${MAX_ENV_BYTES} bytes (as in Lambda). Remove or shorten some variables.`);
  }
}
