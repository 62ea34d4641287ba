/**
 * The Trigger provider's inputs: light checks with precise messages (`check`; the control plane
 * validates each config field by field and its 400 comes back through create and update), and the
 * diff rules: a trigger's function and type are fixed (a change replaces it), its qualifier, config
 * and enabled flag are updated in place.
 *
 * Runs inside the dynamic provider: serializable, no module imports beyond pure constants.
 */
import { FUNCTION_NAME_PATTERN } from "../../protocol/limits.ts";
import { checkConnection, isUnknown, sameValue, type CheckFailure, type ConnectionInputs } from "./provider-common.ts";

/** The trigger types a stack can create. */
export const STACK_TRIGGER_TYPES = ["Http", "Scheduled", "Queue", "Stream"] as const;
export type StackTriggerType = (typeof STACK_TRIGGER_TYPES)[number];

export interface TriggerInputs extends ConnectionInputs {
  functionName: string;
  type: StackTriggerType;
  qualifier: string;
  config: Record<string, unknown>;
  enabled: boolean;
}

export interface TriggerOutputs extends TriggerInputs {
  triggerId: string;
  /** The config as the platform stored it (defaults filled in): what `read` compares for drift. */
  appliedConfig: Record<string, unknown>;
  /** Http: the route's URL under /fn on the control plane (parameters left as written). */
  url?: string;
}

/** Validates and normalizes the inputs (defaults: qualifier $LATEST, enabled true). */
export function checkTriggerInputs(news: Record<string, any>): { inputs: Record<string, any>; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  checkConnection(news, failures);
  const inputs: Record<string, any> = { ...news, qualifier: news.qualifier ?? "$LATEST", enabled: news.enabled ?? true };
  const fn = news.functionName;
  if (!isUnknown(fn) && (typeof fn !== "string" || !FUNCTION_NAME_PATTERN.test(fn))) {
    failures.push({ property: "function", reason: `function must be a hotswap.Function or a function name (1-64 of letters, digits, '-' or '_'), got ${JSON.stringify(fn ?? null)}` });
  }
  const type = news.type;
  if (!isUnknown(type) && !(STACK_TRIGGER_TYPES as readonly string[]).includes(type)) {
    failures.push({ property: "type", reason: `type must be "Http", "Scheduled", "Queue" or "Stream", got ${JSON.stringify(type ?? null)}` });
  }
  const q = inputs.qualifier;
  if (!isUnknown(q) && (typeof q !== "string" || q.length < 1 || q.length > 128)) {
    failures.push({ property: "qualifier", reason: `qualifier must be a version number, an alias name or "$LATEST", got ${JSON.stringify(q)}` });
  }
  if (!isUnknown(inputs.enabled) && typeof inputs.enabled !== "boolean") failures.push({ property: "enabled", reason: "enabled must be true or false" });
  const config = news.config;
  if (!isUnknown(config)) {
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
      failures.push({ property: "config", reason: 'config must be an object, e.g. { methods: ["GET"], path: "/orders/{id}" } (Http) or { schedule: "rate(5 minutes)" } (Scheduled)' });
    } else if (type === "Http") {
      if (!isUnknown(config.path) && (typeof config.path !== "string" || !config.path.startsWith("/"))) failures.push({ property: "config.path", reason: 'config.path must start with "/", e.g. "/orders/{id}"' });
      if (!isUnknown(config.methods) && (!Array.isArray(config.methods) || config.methods.length === 0)) failures.push({ property: "config.methods", reason: 'config.methods must list at least one method, e.g. ["GET"] or ["ANY"]' });
    } else if (type === "Scheduled") {
      if (!isUnknown(config.schedule) && typeof config.schedule !== "string") failures.push({ property: "config.schedule", reason: 'config.schedule must be a schedule expression, e.g. "rate(5 minutes)" or "cron(0 12 * * ? *)"' });
    } else if (type === "Stream") {
      if (!isUnknown(config.source) && config.source !== "redis" && config.source !== "nats") failures.push({ property: "config.source", reason: `config.source must be "redis" or "nats", got ${JSON.stringify(config.source ?? null)}` });
      if (!isUnknown(config.stream) && (typeof config.stream !== "string" || config.stream === "")) failures.push({ property: "config.stream", reason: 'config.stream must name the stream, e.g. "orders"' });
    } else if (type === "Queue") {
      if (!isUnknown(config.source) && !["redis", "rabbitmq", "nats"].includes(config.source)) failures.push({ property: "config.source", reason: `config.source must be "redis", "rabbitmq" or "nats", got ${JSON.stringify(config.source ?? null)}` });
    }
  }
  return { inputs, failures };
}

export interface TriggerChanges {
  replace: string[];
  live: string[];
  stateOnly: string[];
}

/** Which inputs changed, and what each change needs. */
export function triggerChanges(olds: Record<string, any>, news: Record<string, any>): TriggerChanges {
  const differs = (k: string) => isUnknown(news[k]) || !sameValue(olds[k], news[k]);
  return {
    replace: ["functionName", "type"].filter(differs),
    live: ["qualifier", "config", "enabled"].filter(differs),
    stateOnly: ["endpoint", "apiKey"].filter(differs),
  };
}
