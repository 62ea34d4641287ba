/**
 * The zod schema of each document the API answers (protocol/api), and the check the validating
 * client runs on every answer: the first few issues, each with the field's path.
 */
import { z } from "@hono/zod-openapi";
import { AliasList, AliasView } from "../protocol/api/aliases.ts";
import { DeploymentList, DeploymentSummary, DeploymentView } from "../protocol/api/deployments.ts";
import { FunctionList, FunctionView } from "../protocol/api/functions.ts";
import { FunctionLogPage } from "../protocol/api/logs.ts";
import { RunnerList } from "../protocol/api/runners.ts";
import { AsyncInvokeAccepted, InvocationList, InvocationView } from "../protocol/api/invocations.ts";
import { EventInvokeConfigView } from "../protocol/api/event-invoke-config.ts";
import { HealthView, RuntimeList } from "../protocol/api/system.ts";
import { WhoAmI } from "../protocol/api/whoami.ts";
import { TriggerList, TriggerView } from "../protocol/api/triggers.ts";
import { PublishedVersion, VersionList, VersionView } from "../protocol/api/versions.ts";
import { FunctionUsage, UsageSummary } from "../protocol/api/usage.ts";
import { AuditPage } from "../protocol/api/audit.ts";
import { SecretRotation } from "../protocol/api/secrets.ts";
import { KeyList, KeyView, KeyWithSecret } from "../protocol/api/keys.ts";
import { LayerList, LayerVersionList, LayerVersionView } from "../protocol/api/layers.ts";
import type { ResponseKey } from "./responses.ts";

export const RESPONSE_SCHEMAS: Record<ResponseKey, z.ZodType> = {
  Function: FunctionView,
  FunctionList,
  PublishedVersion,
  Version: VersionView,
  VersionList,
  Alias: AliasView,
  AliasList,
  DeploymentSummary,
  Deployment: DeploymentView,
  DeploymentList,
  FunctionLogPage,
  RunnerList,
  RuntimeList,
  Health: HealthView,
  WhoAmI,
  FunctionUsage,
  UsageSummary,
  Trigger: TriggerView,
  TriggerList,
  AsyncInvokeAccepted,
  Invocation: InvocationView,
  InvocationList,
  EventInvokeConfig: EventInvokeConfigView,
  AuditPage,
  SecretRotation,
  Key: KeyView,
  KeyList,
  KeyWithSecret,
  LayerVersion: LayerVersionView,
  LayerList,
  LayerVersionList,
  OpenApiDocument: z.record(z.string(), z.unknown()),
};

/** Why `value` is not the `key` document (up to three issues), or undefined when it is. */
export function checkResponse(key: ResponseKey, value: unknown): string | undefined {
  const parsed = RESPONSE_SCHEMAS[key].safeParse(value);
  if (parsed.success) return undefined;
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`);
  const more = parsed.error.issues.length > 3 ? ` (and ${parsed.error.issues.length - 3} more)` : "";
  return issues.join("; ") + more;
}
