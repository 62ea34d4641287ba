/**
 * The documents the API answers, by name: each name is a schema of protocol/api (checked by
 * response-schemas.ts when the client validates) and a type (z.infer of that schema). The methods
 * name the document they expect; only types are imported here, so nothing of zod runs.
 */
import type { AliasList, AliasView } from "../protocol/api/aliases.ts";
import type { DeploymentList, DeploymentSummary, DeploymentView } from "../protocol/api/deployments.ts";
import type { FunctionList, FunctionView } from "../protocol/api/functions.ts";
import type { FunctionLogPage } from "../protocol/api/logs.ts";
import type { RunnerList } from "../protocol/api/runners.ts";
import type { AsyncInvokeAccepted, InvocationList, InvocationView } from "../protocol/api/invocations.ts";
import type { EventInvokeConfigView } from "../protocol/api/event-invoke-config.ts";
import type { HealthView, RuntimeList } from "../protocol/api/system.ts";
import type { WhoAmI } from "../protocol/api/whoami.ts";
import type { TriggerList, TriggerView } from "../protocol/api/triggers.ts";
import type { PublishedVersion, VersionList, VersionView } from "../protocol/api/versions.ts";
import type { FunctionUsage, UsageSummary } from "../protocol/api/usage.ts";
import type { AuditPage } from "../protocol/api/audit.ts";
import type { SecretRotation } from "../protocol/api/secrets.ts";
import type { KeyList, KeyView, KeyWithSecret } from "../protocol/api/keys.ts";
import type { LayerList, LayerVersionList, LayerVersionView } from "../protocol/api/layers.ts";

export interface ResponseTypes {
  Function: FunctionView;
  FunctionList: FunctionList;
  PublishedVersion: PublishedVersion;
  Version: VersionView;
  VersionList: VersionList;
  Alias: AliasView;
  AliasList: AliasList;
  DeploymentSummary: DeploymentSummary;
  Deployment: DeploymentView;
  DeploymentList: DeploymentList;
  FunctionLogPage: FunctionLogPage;
  RunnerList: RunnerList;
  RuntimeList: RuntimeList;
  Health: HealthView;
  WhoAmI: WhoAmI;
  FunctionUsage: FunctionUsage;
  UsageSummary: UsageSummary;
  Trigger: TriggerView;
  TriggerList: TriggerList;
  AsyncInvokeAccepted: AsyncInvokeAccepted;
  Invocation: InvocationView;
  InvocationList: InvocationList;
  EventInvokeConfig: EventInvokeConfigView;
  AuditPage: AuditPage;
  SecretRotation: SecretRotation;
  Key: KeyView;
  KeyList: KeyList;
  KeyWithSecret: KeyWithSecret;
  LayerVersion: LayerVersionView;
  LayerList: LayerList;
  LayerVersionList: LayerVersionList;
  /** The OpenAPI document (GET /openapi.json): any JSON object. */
  OpenApiDocument: Record<string, unknown>;
}

export type ResponseKey = keyof ResponseTypes;
