/**
 * The Function provider's inputs: validation with precise messages (`check`), defaults and
 * normalization (readable units to the API's numbers), and the diff rules (`diff`).
 *
 * Runs inside the dynamic provider: serializable, no module imports beyond pure constants.
 */
import { FUNCTION_NAME_PATTERN, MAX_INSTANCE_CONCURRENCY, MAX_MEMORY_MB, MAX_TIMEOUT_SECONDS, MIN_MEMORY_MB } from "../../protocol/limits.ts";
import { DURATION_HINT, SIZE_HINT, parseDuration, parseSize } from "./units.ts";
import { checkConnection, isUnknown, sameValue, type CheckFailure, type ConnectionInputs } from "./provider-common.ts";
import type { UpdateFunctionInput } from "../../protocol/api/functions.ts";

/** Function-level capacity settings: PUT changes them without a new version. */
export type CapacityBody = Required<Pick<UpdateFunctionInput, "reservedConcurrency" | "provisionedConcurrency">>;
/** The configuration fields the provider sends on create and update. */
export type FunctionConfigBody = CapacityBody & Required<Pick<UpdateFunctionInput, "runtime" | "handler" | "memorySize" | "timeout" | "environment" | "secrets" | "description" | "tags" | "instanceConcurrency">> & Pick<UpdateFunctionInput, "protocol" | "maxInstances" | "layers">;

export const RUNTIMES = ["nodejs20", "nodejs22", "python3.11", "python3.12", "java17", "ruby3.1", "provided"] as const;
export type Runtime = (typeof RUNTIMES)[number];
export const PROTOCOLS = ["fast", "runtime-api"] as const;

/** The Function provider's inputs after `check`. */
export interface FunctionInputs extends ConnectionInputs {
  name: string;
  runtime: string;
  handler: string;
  /** As written in the args ("256 MB"); `memorySize` is what counts. */
  memory: string;
  /** As written in the args ("30 seconds"); `timeoutSeconds` is what counts. */
  timeout: string;
  memorySize: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
  /** Secret environment variables (a Pulumi secret in the state; "***" per name in the API's answers). */
  secrets: Record<string, string>;
  description: string;
  tags: Record<string, string>;
  protocol: string;
  instanceConcurrency: number;
  maxInstances: number | null;
  reservedConcurrency?: number;
  provisionedConcurrency?: number;
  /** Layer versions ("name:N"), merged at /opt in this order. */
  layers: string[];
  codeSha256: string;
  codeSize: number;
}

export interface FunctionOutputs extends FunctionInputs {
  arn: string;
  latestVersion: number;
}

/** Configuration the API stores: a change to any of these publishes a new version. */
export const CONFIG_KEYS = ["runtime", "handler", "memorySize", "timeoutSeconds", "environment", "secrets", "description", "tags", "protocol", "instanceConcurrency", "maxInstances", "layers"] as const;
/** Function-level capacity settings the API stores: a change updates the function, but publishes no version. */
export const CAPACITY_KEYS = ["reservedConcurrency", "provisionedConcurrency"] as const;
/** Inputs kept in the stack only (the API does not take them): a change updates the state, nothing else. */
export const STATE_ONLY_KEYS = ["endpoint", "apiKey"] as const;
/** The API's maximum for provisionedConcurrency (platform/src/functions/schemas.ts). */
export const MAX_PROVISIONED_CONCURRENCY = 1000;

const RESERVED_ENV = /^(AWS_LAMBDA_.*|LAMBDA_TASK_ROOT|LAMBDA_RUNTIME_DIR|_HANDLER|AWS_REGION|HOTSWAP_.*)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_ENV_BYTES = 4096;
const SHA256 = /^[0-9a-f]{64}$/;

const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(", ");
const got = (value: unknown) => ` (got ${JSON.stringify(value ?? null)})`;
const isInt = (v: unknown, min: number, max: number) => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

/** The ARN-like id of a function: the form the runtime gives handlers as `context.invokedFunctionArn`. */
export function functionArn(name: string): string {
  return `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
}

/** Validates and normalizes. Unknown values (preview) are left alone. */
export function checkFunctionInputs(news: Record<string, any>): { inputs: FunctionInputs; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const inputs: Record<string, any> = {
    ...news,
    memory: news.memory ?? "256 MB",
    timeout: news.timeout ?? "30 seconds",
    environment: news.environment ?? {},
    secrets: news.secrets ?? {},
    description: news.description ?? "",
    tags: news.tags ?? {},
    instanceConcurrency: news.instanceConcurrency ?? 1,
    maxInstances: news.maxInstances ?? null,
    layers: news.layers ?? [],
  };
  checkConnection(inputs, failures);

  const { name, runtime, handler } = inputs;
  if (!isUnknown(name) && (typeof name !== "string" || !FUNCTION_NAME_PATTERN.test(name))) {
    fail("name", `name must be 1-64 letters, digits, '-' or '_'${got(name)}. It defaults to the resource name; set \`name\` when the resource name does not fit.`);
  }
  const runtimeKnown = !isUnknown(runtime);
  if (runtimeKnown && !(RUNTIMES as readonly string[]).includes(runtime)) {
    fail("runtime", `runtime must be one of ${quoted(RUNTIMES)}${got(runtime)}`);
  }
  if (!isUnknown(handler)) {
    if (typeof handler !== "string" || handler.trim() === "" || handler.length > 128) {
      fail("handler", `handler must be a non-empty string of at most 128 characters${got(handler)}`);
    } else if (runtimeKnown && typeof runtime === "string" && runtime.startsWith("nodejs") && !/^[^.]+(\.[^.]+)*\.[A-Za-z_$][\w$]*$/.test(handler)) {
      fail("handler", `handler must be "<file>.<export>" for Node.js, like "index.handler" or "src/app.handler"${got(handler)}`);
    } else if (runtimeKnown && typeof runtime === "string" && runtime.startsWith("python") && !/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*\.[A-Za-z_]\w*$/.test(handler)) {
      fail("handler", `handler must be "<module>.<function>" for Python, like "handler.handler" or "pkg.app.main"${got(handler)}`);
    }
  }

  if (!isUnknown(inputs.memory)) {
    const mb = parseSize(inputs.memory);
    if (mb === undefined || mb < MIN_MEMORY_MB || mb > MAX_MEMORY_MB) {
      fail("memory", `memory ${SIZE_HINT}, from ${MIN_MEMORY_MB} MB to ${MAX_MEMORY_MB} MB${got(inputs.memory)}`);
    } else inputs.memorySize = mb;
  } else inputs.memorySize = inputs.memory;

  if (!isUnknown(inputs.timeout)) {
    const ms = parseDuration(inputs.timeout);
    if (ms === undefined || ms % 1000 !== 0 || ms / 1000 > MAX_TIMEOUT_SECONDS) {
      fail("timeout", `timeout ${DURATION_HINT}, in whole seconds from 1 second to ${MAX_TIMEOUT_SECONDS / 60} minutes${got(inputs.timeout)}`);
    } else inputs.timeoutSeconds = ms / 1000;
  } else inputs.timeoutSeconds = inputs.timeout;

  checkEnvironment(inputs.environment, fail);
  checkEnvironment(inputs.secrets, fail, "secrets");
  if (!isUnknown(inputs.environment) && !isUnknown(inputs.secrets) && inputs.environment && inputs.secrets) {
    for (const k of Object.keys(inputs.secrets)) if (Object.hasOwn(inputs.environment, k)) fail(`secrets.${k}`, `"${k}" is in both environment and secrets; a variable is one or the other`);
  }
  checkTags(inputs.tags, fail);
  if (!isUnknown(inputs.description) && (typeof inputs.description !== "string" || inputs.description.length > 256)) {
    fail("description", `description must be a string of at most 256 characters`);
  }

  if (inputs.protocol === undefined && runtimeKnown && typeof runtime === "string") {
    inputs.protocol = runtime === "provided" ? "runtime-api" : "fast";
  }
  if (inputs.protocol !== undefined && !isUnknown(inputs.protocol)) {
    if (!(PROTOCOLS as readonly string[]).includes(inputs.protocol)) fail("protocol", `protocol must be one of ${quoted(PROTOCOLS)}${got(inputs.protocol)}`);
    else if (runtime === "provided" && inputs.protocol !== "runtime-api") {
      fail("protocol", `runtime "provided" only speaks the Lambda Runtime API; set protocol to "runtime-api" or leave it out`);
    }
  }

  if (!isUnknown(inputs.instanceConcurrency) && !isInt(inputs.instanceConcurrency, 1, MAX_INSTANCE_CONCURRENCY)) {
    fail("instanceConcurrency", `instanceConcurrency must be an integer from 1 to ${MAX_INSTANCE_CONCURRENCY}${got(inputs.instanceConcurrency)}`);
  }
  if (inputs.maxInstances !== null && !isUnknown(inputs.maxInstances) && !isInt(inputs.maxInstances, 1, 1000)) {
    fail("maxInstances", `maxInstances must be an integer from 1 to 1000${got(inputs.maxInstances)}`);
  }
  const { reservedConcurrency: reserved, provisionedConcurrency: provisioned } = inputs;
  if (reserved !== undefined && !isUnknown(reserved) && !isInt(reserved, 0, 100_000)) {
    fail("reservedConcurrency", `reservedConcurrency must be an integer from 0 to 100000${got(reserved)}`);
  }
  if (provisioned !== undefined && !isUnknown(provisioned)) {
    if (!isInt(provisioned, 0, MAX_PROVISIONED_CONCURRENCY)) {
      fail("provisionedConcurrency", `provisionedConcurrency must be an integer from 0 to ${MAX_PROVISIONED_CONCURRENCY}${got(provisioned)}`);
    }
    else if (typeof reserved === "number" && provisioned > reserved) {
      fail("provisionedConcurrency", `provisionedConcurrency (${provisioned}) cannot exceed reservedConcurrency (${reserved})`);
    }
  }

  if (!isUnknown(inputs.layers)) {
    if (!Array.isArray(inputs.layers)) fail("layers", 'layers must be a list of layer versions ("name:N"), e.g. [deps.ref]');
    else {
      if (inputs.layers.length > 5) fail("layers", `layers has ${inputs.layers.length} entries; a function may use at most 5 (as in Lambda)`);
      for (const l of inputs.layers) {
        if (!isUnknown(l) && (typeof l !== "string" || !/^[a-zA-Z0-9-_]{1,64}:[1-9][0-9]{0,8}$/.test(l))) fail("layers", `layer ${JSON.stringify(l)} is not "name:N", e.g. "deps:3" (a hotswap.Layer's ref)`);
      }
    }
  }

  if (!isUnknown(inputs.codeSha256) && (typeof inputs.codeSha256 !== "string" || !SHA256.test(inputs.codeSha256))) {
    fail("codeSha256", "codeSha256 must be the package's sha256 (64 hex digits); hotswap.Function sets it from the `code` arg");
  }
  if (!isUnknown(inputs.codeSize) && !isInt(inputs.codeSize, 1, Number.MAX_SAFE_INTEGER)) {
    fail("codeSize", "codeSize must be the package's size in bytes; hotswap.Function sets it from the `code` arg");
  }
  return { inputs: inputs as FunctionInputs, failures };
}

/** `field` is "environment" or "secrets": both are maps of variable names to strings. Secret values never appear in a message. */
function checkEnvironment(env: unknown, fail: (property: string, reason: string) => void, field = "environment"): void {
  if (isUnknown(env)) return;
  const what = field === "secrets" ? "secret" : "environment variable";
  if (!env || typeof env !== "object" || Array.isArray(env)) {
    fail(field, `${field} must be a map of variable names to string values`);
    return;
  }
  for (const [k, v] of Object.entries(env)) {
    if (!ENV_NAME.test(k)) fail(`${field}.${k}`, `${what} "${k}" is not a valid name ([A-Za-z_][A-Za-z0-9_]*)`);
    else if (RESERVED_ENV.test(k)) fail(`${field}.${k}`, `${what} "${k}" is reserved by the platform; choose another name`);
    if (typeof v !== "string" && !isUnknown(v)) fail(`${field}.${k}`, `${what} "${k}" must be a string (got ${typeof v}); write numbers and booleans as strings`);
  }
  const size = new TextEncoder().encode(JSON.stringify(env)).length;
  if (size > MAX_ENV_BYTES) fail(field, `${field} is ${size} bytes as JSON; the limit is ${MAX_ENV_BYTES} bytes (as in Lambda)`);
}

function checkTags(tags: unknown, fail: (property: string, reason: string) => void): void {
  if (isUnknown(tags)) return;
  if (!tags || typeof tags !== "object" || Array.isArray(tags)) {
    fail("tags", "tags must be a map of strings to strings");
    return;
  }
  const entries = Object.entries(tags);
  if (entries.length > 50) fail("tags", `tags has ${entries.length} entries; at most 50 are allowed`);
  for (const [k, v] of entries) {
    if (k.length > 128) fail(`tags.${k}`, `tag key "${k.slice(0, 20)}…" is longer than 128 characters`);
    if (!isUnknown(v) && (typeof v !== "string" || v.length > 256)) fail(`tags.${k}`, `tag "${k}" must be a string of at most 256 characters`);
  }
}

/** The capacity settings as the API takes them: unset means no cap (null) and no provisioned instances (0). */
export function capacityBody(inputs: Pick<FunctionInputs, "reservedConcurrency" | "provisionedConcurrency">): CapacityBody {
  return { reservedConcurrency: inputs.reservedConcurrency ?? null, provisionedConcurrency: inputs.provisionedConcurrency ?? 0 };
}

/** The API body for create and update, from checked inputs. Only fields the API accepts. */
export function configBody(inputs: FunctionInputs): FunctionConfigBody {
  return {
    ...capacityBody(inputs),
    runtime: inputs.runtime,
    handler: inputs.handler,
    memorySize: inputs.memorySize,
    timeout: inputs.timeoutSeconds,
    environment: inputs.environment,
    secrets: inputs.secrets ?? {},
    description: inputs.description,
    tags: inputs.tags,
    // One of PROTOCOLS: checkFunctionInputs refused anything else.
    protocol: inputs.protocol as FunctionConfigBody["protocol"],
    instanceConcurrency: inputs.instanceConcurrency,
    maxInstances: inputs.maxInstances,
    layers: inputs.layers ?? [],
  };
}

export interface FunctionChanges {
  replace: boolean;
  config: string[];
  /** Capacity settings that changed: they need a PUT of the function, not a new version. */
  capacity: string[];
  code: boolean;
  stateOnly: string[];
}

/** What differs between the old state and the new inputs. Readable spellings ("0.25 GB" for "256 MB") don't count. */
export function functionChanges(olds: Record<string, any>, news: Record<string, any>): FunctionChanges {
  // State written before `layers` existed has none: the same as [].
  const old = (k: string) => (k === "layers" ? (olds[k] ?? []) : olds[k]);
  const differs = (k: string) => isUnknown(news[k]) || !sameValue(old(k), news[k]);
  return {
    replace: differs("name"),
    config: CONFIG_KEYS.filter(differs),
    // Unset and the API's defaults (no cap, none provisioned) are the same setting.
    capacity: CAPACITY_KEYS.filter((k) => isUnknown(news[k]) || !sameValue(capacityBody(olds)[k], capacityBody(news)[k])),
    code: differs("codeSha256"),
    stateOnly: STATE_ONLY_KEYS.filter(differs),
  };
}
