/**
 * Where the CLI finds the API and the credential to call it with: `hotswap login` stores
 * `{ url, apiKey | token }` in `<config dir>/hotswap/credentials.json` (mode 0600, directory 0700),
 * the config dir being $XDG_CONFIG_HOME or ~/.config. HOTSWAP_URL, HOTSWAP_API_KEY and HOTSWAP_TOKEN
 * override what is stored.
 */
import { readFileSync } from "node:fs";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { CliError, EXIT } from "./exit-codes.ts";

export interface StoredCredentials {
  url: string;
  apiKey?: string;
  token?: string;
}

export function credentialsFile(env: Record<string, string | undefined>): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "hotswap", "credentials.json");
}

export function readStoredCredentials(env: Record<string, string | undefined>): StoredCredentials | undefined {
  const file = credentialsFile(env);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as StoredCredentials;
    if (typeof parsed.url !== "string") throw new Error("no url");
    return parsed;
  } catch {
    throw new CliError(`${file} is not a credentials file written by hotswap login; run hotswap login again.`);
  }
}

export async function storeCredentials(env: Record<string, string | undefined>, creds: StoredCredentials): Promise<string> {
  const file = credentialsFile(env);
  const dir = join(file, "..");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // an existing file keeps its mode on write
  return file;
}

export async function removeCredentials(env: Record<string, string | undefined>): Promise<boolean> {
  const file = credentialsFile(env);
  let existed: boolean;
  try {
    existed = readStoredCredentials(env) !== undefined;
  } catch {
    existed = true; // unreadable, but there: removed all the same
  }
  await rm(file, { force: true });
  return existed;
}

/** The URL and bearer to use: the environment's, else the stored ones. Throws (exit 4) when there is no URL. */
export function resolveCredentials(env: Record<string, string | undefined>): StoredCredentials {
  const stored = readStoredCredentials(env);
  const url = env.HOTSWAP_URL || stored?.url;
  if (!url) {
    throw new CliError("not signed in: run `hotswap login --url <url> --key <key>`, or set HOTSWAP_URL and HOTSWAP_API_KEY.", EXIT.auth);
  }
  if (env.HOTSWAP_API_KEY) return { url, apiKey: env.HOTSWAP_API_KEY };
  if (env.HOTSWAP_TOKEN) return { url, token: env.HOTSWAP_TOKEN };
  return { url, apiKey: stored?.apiKey, token: stored?.token };
}
