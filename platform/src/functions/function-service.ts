/**
 * Functions: create, read, update, delete. Validation that needs more than a schema lives here
 * (runtime ids, runtime/protocol pairs), as does the audit trail and routing-table invalidation.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { RUNTIME_IDS, RuntimeId, canonicalRuntime, defaultProtocol, nearestRuntime, supportsProtocol, type RuntimeProtocol } from "../../../protocol/runtimes.ts";
import type { CreateFunctionBody, FunctionView, UpdateFunctionBody } from "../../../protocol/api/functions.ts";
import type { Repositories, FunctionRecord } from "../db/index.ts";
import { resolveLayers } from "../layers/layer-refs.ts";
import type { RoutingTable } from "../router/routing-table.ts";
import { capacityOf, type CapacitySettings, type ScalingColumn } from "../fleet/capacity-settings.ts";
import type { SecretBox } from "../auth/secret-box.ts";
import { assertSecretsFit, maskSecrets, sealSecrets } from "./function-secrets.ts";

export interface Actor {
  id: string;
  requestId?: string;
  /** The caller holds deployments:approve: it may approve deployments and change an alias's protection. */
  canApprove?: boolean;
}

/**
 * The runtime id a create or update names: one of ours, or another tool's name for it (`Node20`,
 * `nodejs20.x`, `Python311`; stored as `nodejs20`, `python3.11`). Anything else is refused with
 * the list and the nearest match.
 */
export function assertRuntime(runtime: string): RuntimeId {
  const id = canonicalRuntime(runtime);
  if (id === undefined) {
    const nearest = nearestRuntime(runtime);
    throw new ApiError("UnknownRuntime", `Runtime "${runtime}" is not supported. Valid runtimes: ${RUNTIME_IDS.join(", ")}; the nearest is "${nearest}".`, {
      validRuntimes: [...RUNTIME_IDS],
      nearest,
    });
  }
  return id;
}

function assertProtocol(runtime: RuntimeId, protocol: RuntimeProtocol): void {
  if (!supportsProtocol(runtime, protocol)) {
    throw new ApiError("ValidationError", `Runtime "${runtime}" only speaks the Lambda Runtime API; set protocol to "runtime-api" or leave it out.`);
  }
}

export function functionNotFound(name: string): ApiError {
  return new ApiError("FunctionNotFound", `Function "${name}" does not exist. Create it with POST /api/v1/functions or list functions with GET /api/v1/functions.`);
}

export function toFunctionView(f: FunctionRecord): FunctionView {
  return {
    name: f.name,
    runtime: f.runtime,
    handler: f.handler,
    memorySize: f.memorySize,
    timeout: f.timeout,
    environment: f.environment,
    secrets: maskSecrets(f.secrets),
    description: f.description,
    tags: f.tags,
    protocol: f.protocol,
    instanceConcurrency: f.instanceConcurrency,
    maxInstances: f.maxInstances ?? null,
    ...capacityOf(f),
    logRetentionDays: f.logRetentionDays ?? null,
    logMaxBytes: f.logMaxBytes ?? null,
    rateLimit: f.rateLimit ?? null,
    layers: f.layers ?? [],
    latestVersion: f.latestVersion > 0 ? f.latestVersion : null,
    createdAt: new Date(f.createdAt).toISOString(),
    updatedAt: new Date(f.updatedAt).toISOString(),
  };
}

const CAPACITY_KEYS = ["reservedConcurrency", "provisionedConcurrency", "keepWarm", "idleTimeout", "scheduledScaling"] as const;

/** Capacity settings as the functions table stores them, after the checks that span several settings. */
function capacityColumns(c: CapacitySettings) {
  if (c.reservedConcurrency !== null && c.provisionedConcurrency > c.reservedConcurrency) {
    throw new ApiError(
      "ValidationError",
      `provisionedConcurrency (${c.provisionedConcurrency}) cannot exceed reservedConcurrency (${c.reservedConcurrency}); lower it or raise reservedConcurrency.`,
    );
  }
  const scaling: ScalingColumn = {};
  if (c.idleTimeout !== null) scaling.idleTimeout = c.idleTimeout;
  if (c.scheduledScaling.length > 0) scaling.schedules = c.scheduledScaling;
  return {
    reservedConcurrency: c.reservedConcurrency,
    provisionedConcurrency: c.provisionedConcurrency,
    keepWarm: c.keepWarm as Record<string, unknown> | null,
    scaling: Object.keys(scaling).length > 0 ? (scaling as Record<string, unknown>) : null,
  };
}

/** The capacity settings after applying the given (possibly partial) body over `base`. */
function mergeCapacity(base: CapacitySettings, body: Partial<Record<(typeof CAPACITY_KEYS)[number], unknown>>): CapacitySettings {
  const out: Record<string, unknown> = { ...base };
  for (const k of CAPACITY_KEYS) if (body[k] !== undefined) out[k] = body[k];
  return out as unknown as CapacitySettings;
}

/** Log lines deleted per statement when a function is deleted. */
const LOG_DELETE_BATCH = 10_000;

const NO_CAPACITY: CapacitySettings = { reservedConcurrency: null, provisionedConcurrency: 0, keepWarm: null, idleTimeout: null, scheduledScaling: [] };

/** Told which code packages a deleted function's versions used (the code collector, code-gc.ts). */
export interface CodeReleaser {
  release(shas: string[]): Promise<unknown>;
}

export class FunctionService {
  constructor(
    private readonly repos: Repositories,
    private readonly routing: RoutingTable,
    private readonly code?: CodeReleaser,
    /** Seals the functions' secrets (the server's keyring); needed only when a function has some. */
    private readonly box?: SecretBox,
  ) {}

  async create(body: CreateFunctionBody, actor: Actor) {
    const runtime = assertRuntime(body.runtime);
    const protocol = body.protocol ?? defaultProtocol(runtime);
    assertProtocol(runtime, protocol);
    assertSecretsFit(body.environment, body.secrets);
    if (body.layers.length > 0) await resolveLayers(this.repos.layers, body.layers, runtime);
    let created: FunctionRecord;
    try {
      const { idleTimeout: _i, scheduledScaling: _s, ...settings } = body;
      created = await this.repos.functions.create({
        ...settings,
        secrets: sealSecrets(this.box, body.name, body.secrets),
        runtime,
        protocol,
        maxInstances: body.maxInstances ?? null,
        ...capacityColumns(mergeCapacity(NO_CAPACITY, body)),
      });
    } catch (e) {
      if ((e as Error).name === "DuplicateError") {
        throw new ApiError("FunctionAlreadyExists", `Function "${body.name}" already exists. Update it with PUT /api/v1/functions/${body.name} or pick another name.`);
      }
      throw e;
    }
    await this.audit(actor, "function.create", body.name, null, toFunctionView(created));
    await this.routing.invalidate(body.name);
    return toFunctionView(created);
  }

  async list() {
    return (await this.repos.functions.list()).map(toFunctionView);
  }

  async require(name: string): Promise<FunctionRecord> {
    const f = await this.repos.functions.get(name);
    if (!f) throw functionNotFound(name);
    return f;
  }

  async get(name: string) {
    return toFunctionView(await this.require(name));
  }

  async update(name: string, patch: UpdateFunctionBody, actor: Actor) {
    const before = await this.require(name);
    const runtime = patch.runtime !== undefined ? assertRuntime(patch.runtime) : (before.runtime as RuntimeId);
    // Changing the runtime to provided without naming a protocol moves the function to the Runtime API.
    const protocol =
      patch.protocol ?? (patch.runtime !== undefined && !supportsProtocol(runtime, before.protocol as RuntimeProtocol) ? defaultProtocol(runtime) : (before.protocol as RuntimeProtocol));
    assertProtocol(runtime, protocol);
    const { idleTimeout: _i, scheduledScaling: _s, secrets: givenSecrets, ...settings } = patch;
    const capacity = CAPACITY_KEYS.some((k) => patch[k] !== undefined) ? capacityColumns(mergeCapacity(capacityOf(before), patch)) : {};
    assertSecretsFit(patch.environment ?? before.environment, givenSecrets ?? maskSecrets(before.secrets));
    const secrets = givenSecrets !== undefined ? { secrets: sealSecrets(this.box, name, givenSecrets, before.secrets) } : {};
    // New layers must be live versions; a runtime change re-checks the kept ones (deleted ones included, as they still run).
    const layers = patch.layers ?? before.layers;
    if (layers.length > 0 && (patch.layers !== undefined || runtime !== before.runtime)) {
      await resolveLayers(this.repos.layers, layers, runtime, { includeDeleted: patch.layers === undefined });
    }
    const updated = await this.repos.functions.update(name, { ...settings, ...capacity, ...secrets, runtime, protocol });
    if (!updated) throw functionNotFound(name);
    await this.audit(actor, "function.update", name, toFunctionView(before), toFunctionView(updated));
    await this.routing.invalidate(name);
    return toFunctionView(updated);
  }

  async delete(name: string, actor: Actor) {
    const before = await this.require(name);
    // A function's triggers go with it (the HTTP route table drops them on the routing message below).
    await this.repos.triggers.deleteByFunction(name);
    const code = this.code ? (await this.repos.versions.list(name)).map((v) => v.codeSha256) : [];
    await this.repos.functions.delete(name);
    // Its log lines go with it, in bounded deletes (a function may hold its whole byte cap).
    while ((await this.repos.functionLogs.deleteFunction(name, LOG_DELETE_BATCH)) > 0);
    await this.audit(actor, "function.delete", name, toFunctionView(before), null);
    await this.routing.invalidate(name);
    // Its versions went with it (cascade): their zips can go too, unless another version shares them.
    await this.code?.release(code);
  }

  private async audit(actor: Actor, action: string, name: string, before: unknown, after: unknown) {
    await this.repos.auditLogs.append({
      actor: actor.id,
      action,
      resourceType: "function",
      resourceId: name,
      before,
      after,
      requestId: actor.requestId ?? null,
    });
  }
}
