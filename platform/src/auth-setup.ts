/**
 * Wires authentication to the database: the ApiKeyStore adapter over the api_keys repository,
 * the server's secret box, the first-start admin key, and the ordered authenticators (API key, then
 * SigV4) that both the Hono middleware and the invoke front door run.
 */
import type { MiddlewareHandler } from "hono";
import {
  KeyResolver,
  SecretBox,
  apiKeyAuthenticator,
  authenticate,
  ensureAdminKey,
  ensureConfiguredKey,
  loadOrCreateSecretKey,
  sigV4Authenticator,
  type ApiKeyStore,
  type Authenticator,
} from "./auth/index.ts";
import type { Repositories } from "./db/index.ts";
import type { AppEnv } from "./api/context.ts";

export function apiKeyStore(repos: Repositories): ApiKeyStore {
  return {
    get: (id) => repos.apiKeys.get(id),
    insert: async (rec) => {
      await repos.apiKeys.insert({ id: rec.id, name: rec.name, secretHash: rec.secretHash, secretEnc: rec.secretEnc, role: rec.role });
    },
    count: () => repos.apiKeys.count(),
    touch: (id) => repos.apiKeys.touch(id),
  };
}

export interface AuthSetup {
  /** Tried in order by the Hono middleware and by the front door. */
  authenticators: readonly Authenticator[];
  middleware: MiddlewareHandler<AppEnv>;
  resolver: KeyResolver;
  /** The server's secret box (seals API key secrets and deployments' Prometheus bearer tokens). */
  box: SecretBox;
  /** The generated admin key, only on the start that created it. */
  createdAdminKey?: string;
}

export async function createAuth(opts: { repos: Repositories; dataDir: string; adminKey?: string; secretKey?: string; metricsKey?: string }): Promise<AuthSetup> {
  const box = new SecretBox(await loadOrCreateSecretKey({ configured: opts.secretKey, dataDir: opts.dataDir }));
  const store = apiKeyStore(opts.repos);
  const admin = await ensureAdminKey({ store, box, adminKey: opts.adminKey });
  // The viewer key Prometheus scrapes /metrics with, when the deployment fixes one.
  if (opts.metricsKey !== undefined) await ensureConfiguredKey({ store, box, key: opts.metricsKey, variable: "HOTSWAP_METRICS_KEY", name: "metrics", role: "viewer" });
  const resolver = new KeyResolver({ store, box });
  const authenticators = [apiKeyAuthenticator(resolver), sigV4Authenticator(resolver)];
  const middleware = authenticate({ authenticators });
  return {
    authenticators,
    middleware: middleware as unknown as MiddlewareHandler<AppEnv>,
    resolver,
    box,
    createdAdminKey: admin.created ? admin.key : undefined,
  };
}
