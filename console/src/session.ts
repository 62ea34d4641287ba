/**
 * The signed-in session: the bearer credential (an API key or a JWT) kept in sessionStorage for
 * this tab only, the API client built on it (client/, without response validation to keep the
 * bundle small), and what the principal may do (GET /api/v1/whoami). Signing out clears it.
 */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { createPlainApiClient } from "../../client/plain.ts";
import type { ApiClient } from "../../client/api-client.ts";
import type { WhoAmI } from "../../protocol/api/whoami.ts";

const STORAGE_KEY = "hotswap.console.credential";

export interface Credential {
  kind: "key" | "jwt";
  secret: string;
}

export interface Session {
  api: ApiClient;
  me: WhoAmI;
  /** True when the principal holds `permission` (the API still checks every call). */
  can(permission: string): boolean;
  signOut(): void;
}

/** API keys look like hs_<id>_<secret>; anything else is sent as a JWT. */
export function credentialOf(text: string): Credential {
  const secret = text.trim();
  return { kind: secret.startsWith("hs_") ? "key" : "jwt", secret };
}

export function clientFor(c: Credential): ApiClient {
  const base = { baseUrl: location.origin, timeoutMs: 60_000 };
  return createPlainApiClient(c.kind === "key" ? { ...base, apiKey: c.secret } : { ...base, token: c.secret });
}

export function storedCredential(): Credential | undefined {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  if (!raw) return undefined;
  try {
    const c = JSON.parse(raw) as Credential;
    return typeof c.secret === "string" && (c.kind === "key" || c.kind === "jwt") ? c : undefined;
  } catch {
    return undefined;
  }
}

export function storeCredential(c: Credential): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(c));
}

export function clearCredential(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a signed-in session");
  return s;
}
