/**
 * Wires authentication to the database: the ApiKeyStore adapter over the api_keys repository,
 * the server's secret box (its keyring also seals function secrets), the first-start admin key,
 * the ordered authenticators (API key, JWT, SigV4) that both the Hono middleware and the invoke
 * front door run, and key management with its cross-replica cache invalidation. A generated admin
 * key is created only by `bootstrapAdminKey`, which the server calls once it is serving: a start
 * that fails earlier leaves no key nobody has seen.
 */
import type { MiddlewareHandler } from "hono";
import {
  KeyResolver,
  SecretBox,
  apiKeyAuthenticator,
  authenticate,
  jwtAuthenticator,
  JwtVerifier,
  KeyInvalidation,
  type JwtSettings,
  ensureAdminKey,
  ensureConfiguredKey,
  loadSecretKeyring,
  sigV4Authenticator,
  type ApiKeyStore,
  type Authenticator,
} from "./auth/index.ts";
import type { Repositories } from "./db/index.ts";
import type { AppEnv } from "./api/context.ts";
import { AuthFailureLimiter } from "./limits/auth-failure-limiter.ts";
import type { StateStore, TokenRate } from "../../shared/state/state-store.ts";
import { KeyService } from "./keys/key-service.ts";

export function apiKeyStore(repos: Repositories): ApiKeyStore {
  return {
    get: (id) => repos.apiKeys.get(id),
    insert: async (rec) => {
      await repos.apiKeys.insert({ id: rec.id, name: rec.name, secretHash: rec.secretHash, secretEnc: rec.secretEnc, role: rec.role, canApprove: rec.canApprove });
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
  /** The server's keyring: API key secrets, function secrets and deployments' Prometheus bearer tokens are sealed with it. */
  secretBox: SecretBox;
  /**
   * Generate the admin key when no key exists yet (and none is configured): call it once the
   * server is serving, and print what it returns (undefined: nothing was created).
   */
  bootstrapAdminKey(): Promise<string | undefined>;
  /** JWT verification (also used by Http triggers with `auth: "jwt"`). */
  jwt: JwtVerifier;
  /** API key management (/api/v1/keys). */
  keys: KeyService;
  /** Stop listening for other replicas' key changes and address blocks. */
  stop(): Promise<void>;
}

export async function createAuth(opts: {
  repos: Repositories;
  state: StateStore;
  dataDir: string;
  adminKey?: string;
  secretKey?: string;
  previousSecretKeys?: string[];
  metricsKey?: string;
  deployerKey?: string;
  jwt?: JwtSettings;
  authFailures?: TokenRate;
  /** The cluster's key namespace: the failure budgets per address are the cluster's. */
  namespace: string;
  /** Told when the state store could not count a failed authentication (it is then let through). */
  onLimiterError?: (err: unknown) => void;
}): Promise<AuthSetup> {
  const box = new SecretBox(await loadSecretKeyring({ configured: opts.secretKey, previous: opts.previousSecretKeys, dataDir: opts.dataDir }));
  const store = apiKeyStore(opts.repos);
  // A configured admin key is never printed, so it can be stored before the server serves.
  if (opts.adminKey !== undefined) await ensureAdminKey({ store, box, adminKey: opts.adminKey });
  // The viewer key Prometheus scrapes /metrics with, when the deployment fixes one.
  if (opts.metricsKey !== undefined) await ensureConfiguredKey({ store, box, key: opts.metricsKey, variable: "HOTSWAP_METRICS_KEY", name: "metrics", role: "viewer" });
  // The deployer key `pulumi up` gives function stacks, when the deployment fixes one.
  if (opts.deployerKey !== undefined) await ensureConfiguredKey({ store, box, key: opts.deployerKey, variable: "HOTSWAP_DEPLOYER_KEY", name: "deployer", role: "deployer" });
  const resolver = new KeyResolver({ store, box });
  const invalidation = new KeyInvalidation(resolver, opts.state);
  await invalidation.start();
  const jwt = new JwtVerifier(opts.jwt);
  // API keys first: the invoke hot path's cached key is one map lookup, before the JWT check's.
  const own = [apiKeyAuthenticator(resolver), jwtAuthenticator(jwt), sigV4Authenticator(resolver)];
  // Failed authentications per source address, counted cluster-wide: a spent address is refused before any key lookup.
  const failures = opts.authFailures ? new AuthFailureLimiter({ rate: opts.authFailures, state: opts.state, namespace: opts.namespace, onError: opts.onLimiterError }) : undefined;
  await failures?.start();
  const authenticators = failures ? failures.guard(own) : own;
  const middleware = authenticate({ authenticators });
  return {
    authenticators,
    middleware: middleware as unknown as MiddlewareHandler<AppEnv>,
    resolver,
    secretBox: box,
    bootstrapAdminKey: async () => {
      if (opts.adminKey !== undefined) return undefined;
      const admin = await ensureAdminKey({ store, box });
      return admin.created ? admin.key : undefined;
    },
    jwt,
    keys: new KeyService(opts.repos, box, invalidation),
    stop: async () => {
      await invalidation.stop();
      await failures?.stop();
    },
  };
}
