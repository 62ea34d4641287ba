/**
 * All repositories over one drizzle handle. Callers hold a `Repositories`, never the raw `Db`,
 * so SQL stays in this folder.
 */
import type { Db } from "../database.ts";
import { createAliasesRepository, type AliasesRepository } from "./aliases.ts";
import { createCatalogDigestsRepository, type CatalogDigestsRepository } from "./catalog-digests.ts";
import { createApiKeysRepository, type ApiKeysRepository } from "./api-keys.ts";
import { createAuditLogsRepository, type AuditLogsRepository } from "./audit-logs.ts";
import { createDeploymentsRepository, type DeploymentsRepository } from "./deployments.ts";
import { createFunctionsRepository, type FunctionsRepository } from "./functions.ts";
import { createFunctionLogsRepository, type FunctionLogsRepository } from "./function-logs.ts";
import { createRunnerNodesRepository, type RunnerNodesRepository } from "./runner-nodes.ts";
import { createUsageRepository, type UsageRepository } from "./usage.ts";
import { createScheduledTicksRepository, createTriggersRepository, type ScheduledTicksRepository, type TriggersRepository } from "./triggers.ts";
import { createInvocationsRepository, type InvocationsRepository } from "./invocations.ts";
import { createEventInvokeConfigsRepository, type EventInvokeConfigsRepository } from "./event-invoke-configs.ts";
import { createVersionsRepository, type VersionsRepository } from "./versions.ts";
import { createLayersRepository, type LayersRepository } from "./layers.ts";
import { createSealedSecretsRepository, type SealedSecretsRepository } from "./sealed-secrets.ts";

export interface Repositories {
  functions: FunctionsRepository;
  versions: VersionsRepository;
  aliases: AliasesRepository;
  apiKeys: ApiKeysRepository;
  auditLogs: AuditLogsRepository;
  runnerNodes: RunnerNodesRepository;
  /** Deployments and their events (appendEvent, listEvents). */
  deployments: DeploymentsRepository;
  triggers: TriggersRepository;
  /** Usage per function, version and hour (added to by every replica). */
  usage: UsageRepository;
  /** Function log lines (written by the log ingest, read by the logs API, pruned by retention). */
  functionLogs: FunctionLogsRepository;
  /** Asynchronous and trigger-driven invocation records. */
  invocations: InvocationsRepository;
  /** functions.event_invoke_config. */
  eventInvokeConfigs: EventInvokeConfigsRepository;
  /** Scheduled triggers' ticks and every trigger's statistics. */
  scheduledTicks: ScheduledTicksRepository;
  /** Every sealed value (function and version secrets, API key secrets), for a key rotation's re-seal. */
  sealedSecrets: SealedSecretsRepository;
  /** Digests of functions, versions and aliases: has the catalog changed since the routing table read it? */
  catalogDigests: CatalogDigestsRepository;
  /** Layers and their versions. */
  layers: LayersRepository;
}

export function createRepositories(db: Db): Repositories {
  return {
    functions: createFunctionsRepository(db),
    versions: createVersionsRepository(db),
    aliases: createAliasesRepository(db),
    apiKeys: createApiKeysRepository(db),
    auditLogs: createAuditLogsRepository(db),
    runnerNodes: createRunnerNodesRepository(db),
    deployments: createDeploymentsRepository(db),
    triggers: createTriggersRepository(db),
    usage: createUsageRepository(db),
    functionLogs: createFunctionLogsRepository(db),
    invocations: createInvocationsRepository(db),
    eventInvokeConfigs: createEventInvokeConfigsRepository(db),
    scheduledTicks: createScheduledTicksRepository(db),
    sealedSecrets: createSealedSecretsRepository(db),
    catalogDigests: createCatalogDigestsRepository(db),
    layers: createLayersRepository(db),
  };
}

export type * from "./aliases.ts";
export type * from "./api-keys.ts";
export type * from "./audit-logs.ts";
export type * from "./deployments.ts";
export type * from "./functions.ts";
export type * from "./function-logs.ts";
export type * from "./runner-nodes.ts";
export type * from "./triggers.ts";
export type * from "./usage.ts";
export type * from "./invocations.ts";
export type * from "./event-invoke-configs.ts";
export type * from "./versions.ts";
export type * from "./sealed-secrets.ts";
export type * from "./layers.ts";
