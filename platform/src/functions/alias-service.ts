/**
 * Aliases: named pointers to a primary version plus weighted extra versions.
 * Every change is audited with its before and after, and invalidates the routing table.
 * While a deployment owns an alias, the guard refuses every other writer (409 AliasLocked).
 * A protected alias's traffic (version, weights) changes only through an approved deployment:
 * direct writes that would move it get 409 AliasProtected (see alias-protection.ts for the rules).
 */
import { ApiError } from "../../../protocol/errors.ts";
import type { Repositories, Alias as AliasRecord, RoutingConfig } from "../db/index.ts";
import type { RoutingTable } from "../router/routing-table.ts";
import { functionNotFound, type Actor, type FunctionService } from "./function-service.ts";
import type { AliasView, PutAliasBody } from "../../../protocol/api/aliases.ts";
import { versionNotFound } from "./version-service.ts";
import { assertDeletable, assertDirectWrite, protectionAction } from "./alias-protection.ts";

export function toAliasView(a: AliasRecord): AliasView {
  return {
    functionName: a.functionName,
    name: a.name,
    version: a.version,
    routingConfig: {
      additionalVersionWeights: a.routingConfig?.additionalVersionWeights ?? {},
      ...(a.routingConfig?.abTest ? { abTest: a.routingConfig.abTest } : {}),
    },
    description: a.description ?? "",
    protected: a.protected ?? false,
    createdAt: new Date(a.createdAt).toISOString(),
    updatedAt: new Date(a.updatedAt).toISOString(),
  };
}

export function aliasNotFound(name: string, alias: string): ApiError {
  return new ApiError("AliasNotFound", `Function "${name}" has no alias "${alias}". Create it with PUT /api/v1/functions/${name}/aliases/${alias}.`);
}

/** Checks a routing config against the primary version and the versions that exist. Pure. */
export function validateRoutingConfig(primary: number, weights: Record<string, number>, existing: Set<number>): void {
  let sum = 0;
  for (const [key, w] of Object.entries(weights)) {
    const v = Number(key);
    if (v === primary) {
      throw new ApiError("InvalidRoutingConfig", `additionalVersionWeights names version ${v}, which is already the alias's primary version; list only other versions.`);
    }
    if (!existing.has(v)) {
      throw new ApiError("InvalidRoutingConfig", `additionalVersionWeights names version ${v}, which does not exist. Publish it first.`);
    }
    if (!(w >= 0 && w <= 1)) {
      throw new ApiError("InvalidRoutingConfig", `The weight of version ${v} is ${w}; weights must be between 0 and 1.`);
    }
    sum += w;
  }
  if (sum > 1 + 1e-9) {
    throw new ApiError("InvalidRoutingConfig", `The additional version weights sum to ${Number(sum.toFixed(6))}; they must sum to at most 1.`);
  }
}

/** Decides whether an actor may change an alias now (a deployment may own it). */
export interface AliasGuard {
  /** Throws (409 AliasLocked) when the alias is owned by a deployment other than the actor. */
  assertWritable(functionName: string, alias: string, actor: Actor): Promise<void>;
}

/** A whole alias state, as a deployment sets or restores it. */
export interface AliasState {
  version: number;
  routingConfig: RoutingConfig;
  description: string;
}

export class AliasService {
  constructor(
    private readonly repos: Repositories,
    private readonly functions: FunctionService,
    private readonly routing: RoutingTable,
    private readonly guard?: AliasGuard,
  ) {}

  /**
   * Set the alias to exactly `state`, or delete it when `state` is null (restoring an alias that
   * did not exist). For deployments: A/B rules are allowed here, and the guard still applies.
   */
  async applyState(name: string, alias: string, state: AliasState | null, actor: Actor) {
    await this.guard?.assertWritable(name, alias, actor);
    if (state === null) {
      if (await this.repos.aliases.get(name, alias)) await this.delete(name, alias, actor);
      return null;
    }
    const versions = new Set((await this.repos.versions.list(name)).map((v) => v.version));
    if (!versions.has(state.version)) throw versionNotFound(name, state.version, 400);
    validateRoutingConfig(state.version, state.routingConfig.additionalVersionWeights, versions);
    const ab = state.routingConfig.abTest;
    if (ab && !versions.has(ab.variantVersion)) throw versionNotFound(name, ab.variantVersion, 400);
    return this.write(name, alias, state, actor);
  }

  async put(name: string, alias: string, body: PutAliasBody, actor: Actor) {
    await this.functions.require(name);
    await this.guard?.assertWritable(name, alias, actor);
    const versions = new Set((await this.repos.versions.list(name)).map((v) => v.version));
    if (!versions.has(body.version)) throw versionNotFound(name, body.version, 400);
    const weights = body.routingConfig?.additionalVersionWeights ?? {};
    validateRoutingConfig(body.version, weights, versions);
    const state = { version: body.version, routingConfig: { additionalVersionWeights: weights }, description: body.description };
    assertDirectWrite(name, alias, await this.repos.aliases.get(name, alias), state, body.protected, actor);
    return this.write(name, alias, state, actor, body.protected);
  }

  private async write(name: string, alias: string, state: AliasState, actor: Actor, protect?: boolean) {
    const upserted = await this.repos.aliases.upsert(name, alias, { ...state, protected: protect });
    if (!upserted) throw functionNotFound(name);
    const { alias: saved, before } = upserted;
    // Both before returning; together, so traffic moves (a rollback takes effect) one round trip sooner.
    await Promise.all([
      this.repos.auditLogs.append({
        actor: actor.id,
        action: before ? protectionAction(before.protected, saved.protected) : "alias.create",
        resourceType: "alias",
        resourceId: `${name}:${alias}`,
        before: before ? toAliasView(before) : null,
        after: toAliasView(saved),
        requestId: actor.requestId ?? null,
      }),
      this.routing.invalidate(name),
    ]);
    return { alias: toAliasView(saved), created: !before };
  }

  async get(name: string, alias: string) {
    await this.functions.require(name);
    const a = await this.repos.aliases.get(name, alias);
    if (!a) throw aliasNotFound(name, alias);
    return toAliasView(a);
  }

  async list(name: string) {
    await this.functions.require(name);
    return (await this.repos.aliases.list(name)).map(toAliasView);
  }

  async delete(name: string, alias: string, actor: Actor) {
    await this.functions.require(name);
    await this.guard?.assertWritable(name, alias, actor);
    const a = await this.repos.aliases.get(name, alias);
    if (!a) throw aliasNotFound(name, alias);
    assertDeletable(name, alias, a);
    await this.repos.aliases.delete(name, alias);
    await this.repos.auditLogs.append({
      actor: actor.id,
      action: "alias.delete",
      resourceType: "alias",
      resourceId: `${name}:${alias}`,
      before: toAliasView(a),
      after: null,
      requestId: actor.requestId ?? null,
    });
    await this.routing.invalidate(name);
  }
}
