/**
 * Reads a stack's `Pulumi.<stack>.yaml` into the flat config map the Pulumi runtime would give the
 * program (`"hotswap:target" → "kubernetes"`, structured values as JSON text), so the program can
 * run under mocks with exactly the stack's configuration.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

export function stackFilePath(root: string, stack: string): string {
  return join(root, `Pulumi.${stack}.yaml`);
}

/** Parse a stack file's `config:` block. Encrypted (`secure:`) values cannot be read without the engine. */
export function readStackConfig(path: string): Record<string, string> {
  if (!existsSync(path)) throw new StackFileError(`${path} does not exist (create it with \`pulumi stack init <name>\` or copy Pulumi.k8s.yaml)`);
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new StackFileError(`${path} is not valid YAML: ${(e as Error).message}`);
  }
  const config = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) throw new StackFileError(`${path}: "config" must be a map`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value && typeof value === "object" && !Array.isArray(value) && "secure" in value && Object.keys(value).length === 1) {
      throw new StackFileError(`${path}: ${key} is encrypted (secure:); rendering cannot decrypt it. Render from a stack file without it.`);
    }
    // A key's `value:` wrapper (Pulumi's long form) holds the actual value.
    const v = value && typeof value === "object" && !Array.isArray(value) && "value" in value && Object.keys(value).length === 1 ? (value as { value: unknown }).value : value;
    out[key] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}
