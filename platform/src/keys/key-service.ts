/**
 * API key management: create (the secret shown once), list and read (never a secret), revoke and
 * rotate. Every write is an audit row with its actor, and every revoke or rotate drops the key from
 * every replica's cache through the state store (KeyInvalidation), so the old secret is refused
 * everywhere at once. A function-scoped admin can only hand out keys inside its own scope.
 */
import { ApiError } from "../../../protocol/errors.ts";
import type { CreateKeyBody, KeyView, KeyWithSecret } from "../../../protocol/api/keys.ts";
import { accessKeyIdFor, formatApiKey, generateApiKey, hashSecret } from "../auth/api-key.ts";
import { inFunctionScope } from "../auth/function-scope.ts";
import type { KeyInvalidation } from "../auth/key-invalidation.ts";
import type { Principal } from "../auth/principal.ts";
import type { SecretBox } from "../auth/secret-box.ts";
import type { Repositories } from "../db/index.ts";
import type { ApiKey, ApiKeySummary } from "../db/repositories/api-keys.ts";

/** Who asks, for the audit trail and the scope check. */
export interface KeyActor {
  principal: Principal;
  requestId?: string;
}

export class KeyService {
  constructor(
    private readonly repos: Pick<Repositories, "apiKeys" | "auditLogs">,
    private readonly box: SecretBox,
    private readonly invalidation: Pick<KeyInvalidation, "changed">,
    private readonly now: () => number = Date.now,
  ) {}

  async create(body: CreateKeyBody, actor: KeyActor): Promise<KeyWithSecret> {
    const expiresAt = body.expiresAt === undefined ? null : new Date(body.expiresAt);
    if (expiresAt && expiresAt.getTime() <= this.now()) throw new ApiError("ValidationError", `expiresAt (${body.expiresAt}) is in the past; give a future instant or omit it.`);
    if (body.canApprove && body.role !== "admin" && body.role !== "deployer") {
      throw new ApiError("ValidationError", `canApprove is for deployer keys (admins always may approve); a ${body.role} key cannot approve deployments.`);
    }
    assertWithinScope(actor.principal, body.functions);
    const { id, secret } = generateApiKey();
    const row = await this.repos.apiKeys.insert({
      id,
      name: body.name,
      secretHash: hashSecret(secret),
      secretEnc: this.box.encrypt(secret, id),
      role: body.role,
      functions: body.functions ?? null,
      canApprove: body.canApprove ?? false,
      rateLimit: body.rateLimit ?? null,
      createdBy: actor.principal.subject,
      expiresAt,
    });
    // A lookup of this id before it existed may be cached as "no such key".
    await this.invalidation.changed(id);
    const view = toKeyView(row);
    await this.audit(actor, "key.create", id, null, view);
    return { ...view, key: formatApiKey(id, secret) };
  }

  async list(): Promise<KeyView[]> {
    return (await this.repos.apiKeys.list()).map(toKeyView);
  }

  async get(id: string): Promise<KeyView> {
    return toKeyView(await this.require(id));
  }

  /** Revoke: refused from now on by every replica. Revoking a revoked key changes nothing. */
  async revoke(id: string, actor: KeyActor): Promise<void> {
    const before = await this.require(id);
    if (before.revokedAt !== null) return;
    await this.repos.apiKeys.revoke(id);
    await this.invalidation.changed(id);
    await this.audit(actor, "key.revoke", id, toKeyView(before), toKeyView(await this.require(id)));
  }

  /** A new secret for the key (same id, role and scope); the old secret is refused from now on. */
  async rotate(id: string, actor: KeyActor): Promise<KeyWithSecret> {
    const before = await this.require(id);
    if (before.revokedAt !== null) throw new ApiError("Conflict", `API key "${id}" is revoked; create a new key instead of rotating it.`);
    const { secret } = generateApiKey();
    if (!(await this.repos.apiKeys.rotate(id, { secretHash: hashSecret(secret), secretEnc: this.box.encrypt(secret, id) }))) {
      throw new ApiError("Conflict", `API key "${id}" was revoked meanwhile; create a new key instead.`);
    }
    await this.invalidation.changed(id);
    const view = toKeyView(await this.require(id));
    await this.audit(actor, "key.rotate", id, toKeyView(before), view);
    return { ...view, key: formatApiKey(id, secret) };
  }

  private async require(id: string): Promise<ApiKey> {
    const key = await this.repos.apiKeys.get(id);
    if (!key) throw new ApiError("KeyNotFound", `No API key has id "${id}". List keys with GET /api/v1/keys.`);
    return key;
  }

  private async audit(actor: KeyActor, action: string, id: string, before: KeyView | null, after: KeyView | null) {
    await this.repos.auditLogs.append({ actor: actor.principal.subject, action, resourceType: "api_key", resourceId: id, before, after, requestId: actor.requestId ?? null });
  }
}

/** A scoped principal may only create keys inside its scope: no unscoped key, no wider pattern. */
function assertWithinScope(principal: Principal, functions: string[] | undefined): void {
  const scope = principal.functions;
  if (scope === undefined) return;
  const outside = functions === undefined ? "every function" : functions.find((p) => !scope.includes(p) && (p.includes("*") || !inFunctionScope(scope, p)));
  if (outside === undefined) return;
  throw new ApiError("Forbidden", `A key for ${outside === "every function" ? outside : `"${outside}"`} reaches outside your scope (functions ${JSON.stringify(scope)}); give "functions" within it.`);
}

/** The wire view of a stored key: never its secret material. */
export function toKeyView(k: ApiKeySummary): KeyView {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    functions: k.functions,
    canApprove: k.canApprove,
    rateLimit: k.rateLimit,
    createdBy: k.createdBy,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    accessKeyId: accessKeyIdFor(k.id),
  };
}
