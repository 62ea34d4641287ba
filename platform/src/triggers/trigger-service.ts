/**
 * Triggers: create, read, update, delete, with the checks a schema alone cannot make: the function
 * exists, a given qualifier resolves, the config fits the type (precise 400s naming each field),
 * `auth: "jwt"` is refused when the server has no JWT settings, two Http triggers never claim the same
 * method and path (checked and written under one lock, so concurrent writes on any replica too), a
 * Queue or Stream trigger's broker has a connection setting on this control plane (400 naming the
 * variable) and a Stream trigger's names stay out of the platform's own keys and subjects. Every
 * write is audited and broadcast so every replica's route table and consumers follow.
 */
import { ApiError } from "../../../protocol/errors.ts";
import {
  routeShape,
  TRIGGER_CONFIG_SCHEMAS,
  type CreateTriggerBody,
  type HttpTriggerConfig,
  type StreamTriggerConfig,
  type QueueTriggerConfig,
  type TriggerListQuery,
  type TriggerType,
  type TriggerView,
  type UpdateTriggerBody,
} from "../../../protocol/api/triggers.ts";
import { formatIssues } from "../api/openapi.ts";
import type { JsonObject, Repositories, Trigger } from "../db/index.ts";
import type { Actor, FunctionService } from "../functions/function-service.ts";
import { assertStreamTrigger, type BrokerSettings } from "./stream/stream-sources.ts";
import type { QueueSources } from "./queue/queue-sources.ts";

export function toTriggerView(t: Trigger): TriggerView {
  return {
    triggerId: t.id,
    functionName: t.functionName,
    qualifier: t.qualifier,
    type: t.type,
    config: t.config,
    enabled: t.enabled,
    executionCount: t.executionCount,
    failureCount: t.failureCount,
    lastExecutedAt: t.lastExecutedAt ? new Date(t.lastExecutedAt).toISOString() : null,
    lastError: t.lastError,
    createdAt: new Date(t.createdAt).toISOString(),
    updatedAt: new Date(t.updatedAt).toISOString(),
  };
}

export function triggerNotFound(id: string): ApiError {
  return new ApiError("TriggerNotFound", `Trigger "${id}" does not exist. List triggers with GET /api/v1/triggers.`);
}

/** The config parsed (defaults applied) for its type; throws 400 naming each bad field. Pure. */
export function parseTriggerConfig(type: TriggerType, config: unknown, acceptsJwt = false): JsonObject {
  const parsed = TRIGGER_CONFIG_SCHEMAS[type].safeParse(config);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ ...i, path: ["config", ...i.path] }));
    throw new ApiError("ValidationError", `Invalid ${type} trigger config: ${formatIssues(issues, "body")}`);
  }
  const out = parsed.data as JsonObject;
  if (type === "Http" && (out as unknown as HttpTriggerConfig).auth === "jwt" && !acceptsJwt) {
    throw new ApiError(
      "UnsupportedAuth",
      'Http trigger auth "jwt" needs the server to accept JWTs: set HOTSWAP_JWT_SECRET (HS256) or HOTSWAP_JWT_JWKS_URL (RS256/ES256). Or use "key" (an API key with functions:invoke) or "none" (public).',
    );
  }
  return out;
}

/** Notified after every write with the trigger's type, so route tables (and the scheduler) reload. */
export interface TriggerChanges {
  invalidate(type: TriggerType): Promise<void>;
}

export class TriggerService {
  constructor(
    private readonly repos: Repositories,
    private readonly functions: Pick<FunctionService, "require">,
    private readonly changes: TriggerChanges,
    /** The brokers Stream triggers can read here (config.streams). */
    private readonly streams: BrokerSettings = {},
    /** The brokers Queue triggers may use; unset: every source is accepted (unit tests). */
    private readonly queueSources?: Pick<QueueSources, "assertConfigured">,
    /** Whether the server verifies JWTs, so Http routes may use `auth: "jwt"`. */
    private readonly opts: { acceptsJwt?: boolean } = {},
  ) {}

  async create(body: CreateTriggerBody, actor: Actor): Promise<TriggerView> {
    await this.functions.require(body.functionName);
    const config = parseTriggerConfig(body.type, body.config, this.opts.acceptsJwt);
    if (body.type === "Stream") assertStreamTrigger(this.streams, config as unknown as StreamTriggerConfig);
    if (body.type === "Queue") this.queueSources?.assertConfigured((config as unknown as QueueTriggerConfig).source);
    if (body.qualifier !== undefined) await this.assertQualifier(body.functionName, body.qualifier);
    const input = { functionName: body.functionName, type: body.type, qualifier: body.qualifier ?? "$LATEST", config, enabled: body.enabled };
    // An Http route is checked and written under the route lock, so two concurrent creates cannot both claim it.
    const created =
      body.type === "Http"
        ? await this.repos.triggers.withRouteLock(async (locked) => {
            await this.assertRouteFree(config as unknown as HttpTriggerConfig, undefined, locked);
            return locked.create(input);
          })
        : await this.repos.triggers.create(input);
    const view = toTriggerView(created);
    await this.audit(actor, "trigger.create", created.id, null, view);
    await this.changes.invalidate(created.type);
    return view;
  }

  async list(query: TriggerListQuery): Promise<TriggerView[]> {
    return (await this.repos.triggers.list(query)).map(toTriggerView);
  }

  async get(id: string): Promise<TriggerView> {
    return toTriggerView(await this.require(id));
  }

  async update(id: string, body: UpdateTriggerBody, actor: Actor): Promise<TriggerView> {
    const before = await this.require(id);
    if (body.functionName !== undefined && body.functionName !== before.functionName) {
      throw new ApiError("ValidationError", `A trigger cannot move to another function (it belongs to "${before.functionName}"); delete it and create one for "${body.functionName}".`);
    }
    if (body.type !== undefined && body.type !== before.type) {
      throw new ApiError("ValidationError", `A trigger's type cannot change (it is ${before.type}); delete it and create a ${body.type} trigger.`);
    }
    const config = body.config !== undefined ? parseTriggerConfig(before.type, body.config, this.opts.acceptsJwt) : undefined;
    if (config && before.type === "Stream") assertStreamTrigger(this.streams, config as unknown as StreamTriggerConfig);
    if (config && before.type === "Queue") this.queueSources?.assertConfigured((config as unknown as QueueTriggerConfig).source);
    if (body.qualifier !== undefined) await this.assertQualifier(before.functionName, body.qualifier);
    const patch = { qualifier: body.qualifier, config, enabled: body.enabled };
    const updated =
      config && before.type === "Http"
        ? await this.repos.triggers.withRouteLock(async (locked) => {
            await this.assertRouteFree(config as unknown as HttpTriggerConfig, id, locked);
            return locked.update(id, patch);
          })
        : await this.repos.triggers.update(id, patch);
    if (!updated) throw triggerNotFound(id);
    const view = toTriggerView(updated);
    await this.audit(actor, "trigger.update", id, toTriggerView(before), view);
    await this.changes.invalidate(before.type);
    return view;
  }

  async delete(id: string, actor: Actor): Promise<void> {
    const before = await this.require(id);
    if (!(await this.repos.triggers.delete(id))) throw triggerNotFound(id);
    await this.audit(actor, "trigger.delete", id, toTriggerView(before), null);
    await this.changes.invalidate(before.type);
  }

  private async require(id: string): Promise<Trigger> {
    const t = await this.repos.triggers.get(id);
    if (!t) throw triggerNotFound(id);
    return t;
  }

  /** A version that exists, an alias that exists, or $LATEST; else 400 naming the qualifier. */
  private async assertQualifier(fn: string, qualifier: string): Promise<void> {
    if (qualifier === "$LATEST") return;
    if (/^[0-9]+$/.test(qualifier)) {
      if (await this.repos.versions.get(fn, Number(qualifier))) return;
      throw new ApiError("InvalidQualifier", `Qualifier "${qualifier}": function "${fn}" has no version ${qualifier}. Use a published version, an alias, or $LATEST.`);
    }
    if (await this.repos.aliases.get(fn, qualifier)) return;
    throw new ApiError("InvalidQualifier", `Qualifier "${qualifier}": function "${fn}" has no alias "${qualifier}". Create it first, or use a version number or $LATEST.`);
  }

  /** 409 RouteConflict when another Http trigger claims one of the methods on a path of the same shape. */
  private async assertRouteFree(config: HttpTriggerConfig, self: string | undefined, triggers: Repositories["triggers"]): Promise<void> {
    const shape = routeShape(config.path);
    for (const other of await triggers.list({ type: "Http" })) {
      if (other.id === self) continue;
      const o = other.config as unknown as Partial<HttpTriggerConfig>;
      if (typeof o.path !== "string" || !Array.isArray(o.methods)) continue;
      let otherShape: string;
      try {
        otherShape = routeShape(o.path);
      } catch {
        continue;
      }
      if (otherShape !== shape) continue;
      const clash = config.methods.find((m) => o.methods!.includes(m));
      if (clash) {
        throw new ApiError(
          "RouteConflict",
          `${clash} ${config.path} is already routed by trigger ${other.id} (${clash} ${o.path}, function "${other.functionName}"). Change that trigger, delete it, or pick another path or method.`,
          { conflictingTriggerId: other.id },
        );
      }
    }
  }

  private async audit(actor: Actor, action: string, id: string, before: unknown, after: unknown): Promise<void> {
    await this.repos.auditLogs.append({ actor: actor.id, action, resourceType: "trigger", resourceId: id, before, after, requestId: actor.requestId ?? null });
  }
}
