/**
 * The Alias provider's inputs: validation with precise messages (`check`), the rollout args turned
 * into a `POST /api/v1/deployments` request (readable durations to ISO-8601), and the diff rules.
 *
 * Runs inside the dynamic provider: serializable, no module imports beyond pure constants.
 */
import { ALIAS_NAME_PATTERN, FUNCTION_NAME_PATTERN } from "../../protocol/limits.ts";
import { DURATION_HINT, formatDuration, parseDuration, toIsoDuration } from "./units.ts";
import { checkConnection, isUnknown, sameValue, type CheckFailure, type ConnectionInputs } from "./provider-common.ts";
import type { CreateDeploymentInput, DeploymentStrategy } from "../../protocol/api/deployments.ts";

/** What a rollout adds to `POST /api/v1/deployments` besides the function, version and alias. */
export type DeploymentRequest = Required<Pick<CreateDeploymentInput, "strategy" | "config" | "analysis">> & Pick<CreateDeploymentInput, "onConflict">;

/** The strategies a stack can use. A/B tests are left out: they run until someone concludes them. */
export const ROLLOUT_STRATEGIES = ["direct", "canary", "linear", "blue-green", "rolling"] as const;
export type RolloutStrategy = (typeof ROLLOUT_STRATEGIES)[number];

/** The API's name for each strategy. */
export const API_STRATEGY: Record<RolloutStrategy, DeploymentStrategy> = {
  direct: "Direct",
  canary: "Canary",
  linear: "Linear",
  "blue-green": "BlueGreen",
  rolling: "Rolling",
};

export interface AnalysisInputs {
  interval?: string;
  maxErrorRate?: number;
  maxP99?: string;
  maxErrorRateIncrease?: number;
  maxP99Increase?: number;
  minRequests?: number;
}

export interface RolloutInputs {
  strategy: RolloutStrategy;
  percentage?: number;
  duration?: string;
  interval?: string;
  batchSize?: number;
  batchPercentage?: number;
  rollbackWindow?: string;
  smokeEvent?: unknown;
  analysis?: AnalysisInputs;
  timeout?: string;
  onConflict?: "fail" | "cancel";
}

export interface AliasInputs extends ConnectionInputs {
  functionName: string;
  name: string;
  version: number;
  weights: Record<string, number>;
  description: string;
  /** Traffic changes only through deployments approved by another principal. Unset: false. */
  protected?: boolean;
  rollout?: RolloutInputs;
}

export interface AliasOutputs extends AliasInputs {
  arn: string;
  /** The last deployment this resource started, if any. */
  deploymentId?: string;
}

/** Which rollout fields each strategy takes (besides strategy, analysis, timeout, onConflict). */
const STRATEGY_FIELDS: Record<RolloutStrategy, readonly string[]> = {
  direct: [],
  canary: ["percentage", "duration"],
  linear: ["percentage", "interval"],
  "blue-green": ["rollbackWindow", "smokeEvent"],
  rolling: ["batchSize", "batchPercentage", "interval"],
};
const ALL_FIELDS = ["percentage", "duration", "interval", "batchSize", "batchPercentage", "rollbackWindow", "smokeEvent"] as const;
const ANALYSIS_FIELDS = ["interval", "maxErrorRate", "maxP99", "maxErrorRateIncrease", "maxP99Increase", "minRequests"];
const COMMON_FIELDS = ["strategy", "analysis", "timeout", "onConflict"];

export const DEFAULT_ROLLOUT_TIMEOUT = "1 hour";
/** How a protected alias without `rollout` changes version: a Direct deployment, which waits for approval. */
export const APPROVED_DIRECT: RolloutInputs = { strategy: "direct" };
const DEFAULTS = { canaryPercentage: 10, canaryDuration: "5 minutes", stepPercentage: 10, stepInterval: "1 minute", batchInterval: "1 minute" };

const DAY_MS = 86_400_000;
const got = (value: unknown) => ` (got ${JSON.stringify(value ?? null)})`;
const isInt = (v: unknown, min: number, max: number) => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
const isFraction = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1;

export function aliasArn(functionArn: string, alias: string): string {
  return `${functionArn}:${alias}`;
}

/** Validates and fills defaults. Unknown values (preview) are left alone. */
export function checkAliasInputs(news: Record<string, any>): { inputs: AliasInputs; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const inputs: Record<string, any> = { ...news, weights: news.weights ?? {}, description: news.description ?? "" };
  checkConnection(inputs, failures);

  if (!isUnknown(inputs.functionName) && (typeof inputs.functionName !== "string" || !FUNCTION_NAME_PATTERN.test(inputs.functionName))) {
    fail("functionName", `function must be a hotswap.Function or a function name of 1-64 letters, digits, '-' or '_'${got(inputs.functionName)}`);
  }
  if (!isUnknown(inputs.name) && (typeof inputs.name !== "string" || !ALIAS_NAME_PATTERN.test(inputs.name))) {
    fail("name", `name must be 1-128 letters, digits, '-' or '_', and not only digits${got(inputs.name)}. It defaults to the resource name; set \`name\` when the resource name does not fit.`);
  }
  if (!isUnknown(inputs.version) && !isInt(inputs.version, 1, Number.MAX_SAFE_INTEGER)) {
    fail("version", `version must be a published version number (an integer ≥ 1), such as a hotswap.Function's latestVersion${got(inputs.version)}`);
  }
  if (!isUnknown(inputs.description) && (typeof inputs.description !== "string" || inputs.description.length > 256)) {
    fail("description", "description must be a string of at most 256 characters");
  }
  if (inputs.protected !== undefined && !isUnknown(inputs.protected) && typeof inputs.protected !== "boolean") {
    fail("protected", `protected must be true or false${got(inputs.protected)}`);
  }
  checkWeights(inputs.weights, inputs.version, fail);
  if (inputs.rollout !== undefined && inputs.rollout !== null && !isUnknown(inputs.rollout)) {
    if (Object.keys(inputs.weights ?? {}).length > 0) {
      fail("weights", 'Cannot set both "weights" and "rollout": a rollout moves the traffic itself. Remove "weights", or remove "rollout" to set weights by hand.');
    }
    checkRollout(inputs.rollout, fail);
  }
  return { inputs: inputs as AliasInputs, failures };
}

function checkWeights(weights: unknown, version: unknown, fail: (p: string, r: string) => void): void {
  if (isUnknown(weights)) return;
  if (!weights || typeof weights !== "object" || Array.isArray(weights)) {
    fail("weights", 'weights must map version numbers to traffic shares, like { 3: 0.1 } for 10% on version 3');
    return;
  }
  let sum = 0;
  for (const [key, w] of Object.entries(weights)) {
    if (!/^[1-9][0-9]*$/.test(key)) fail(`weights.${key}`, `weights keys must be version numbers${got(key)}`);
    else if (Number(key) === version) fail(`weights.${key}`, `weights names version ${key}, which is already the alias's version; list only other versions`);
    if (isUnknown(w)) continue;
    if (!isFraction(w)) fail(`weights.${key}`, `the weight of version ${key} must be a share from 0 to 1, like 0.1 for 10%${got(w)}`);
    else sum += w as number;
  }
  if (sum > 1 + 1e-9) fail("weights", `weights sum to ${Number(sum.toFixed(6))}; they must sum to at most 1 (the rest goes to the alias's version)`);
}

function checkRollout(rollout: Record<string, any>, fail: (p: string, r: string) => void): void {
  if (typeof rollout !== "object" || Array.isArray(rollout)) {
    fail("rollout", 'rollout must be an object like { strategy: "canary", percentage: 10, duration: "5 minutes" }');
    return;
  }
  const strategy = rollout.strategy;
  if (isUnknown(strategy)) return;
  if (strategy === "ab-testing" || strategy === "ABTesting") {
    fail("rollout.strategy", 'rollout.strategy "ab-testing" cannot be used in a stack: an A/B test runs until someone concludes it, so `pulumi up` would never finish. Start A/B tests with POST /api/v1/deployments and conclude them with promote or rollback.');
    return;
  }
  if (!(ROLLOUT_STRATEGIES as readonly string[]).includes(strategy)) {
    fail("rollout.strategy", `rollout.strategy must be one of ${ROLLOUT_STRATEGIES.map((s) => `"${s}"`).join(", ")}${got(strategy)}`);
    return;
  }
  const allowed = STRATEGY_FIELDS[strategy as RolloutStrategy];
  for (const key of Object.keys(rollout)) {
    if (rollout[key] === undefined || COMMON_FIELDS.includes(key)) continue;
    if (!(ALL_FIELDS as readonly string[]).includes(key)) {
      fail(`rollout.${key}`, `rollout.${key} is not a rollout setting; the settings are strategy, ${ALL_FIELDS.join(", ")}, analysis, timeout and onConflict`);
    } else if (!allowed.includes(key)) {
      const users = ROLLOUT_STRATEGIES.filter((s) => STRATEGY_FIELDS[s].includes(key)).map((s) => `"${s}"`);
      const own = allowed.length > 0 ? `; "${strategy}" takes ${allowed.map((f) => `rollout.${f}`).join(", ")}` : `; "${strategy}" takes no settings besides analysis and timeout`;
      fail(`rollout.${key}`, `rollout.${key} applies to ${users.join(" and ")} only${own}`);
    }
  }
  // The deployments API's ranges, checked here so `pulumi preview` already names the field.
  const percent = (key: string, max: 99 | 100) => {
    const v = rollout[key];
    const ok = typeof v === "number" && Number.isFinite(v) && v > 0 && (max === 99 ? v < 100 : v <= 100);
    if (v !== undefined && !isUnknown(v) && !ok) {
      fail(`rollout.${key}`, `rollout.${key} must be a percentage more than 0 and ${max === 99 ? "less than 100" : "at most 100"}${got(v)}`);
    }
  };
  const duration = (key: string, where = `rollout.${key}`, value = rollout[key], maxMs = DAY_MS, minMs = 1000) => {
    if (value === undefined || isUnknown(value)) return;
    const ms = parseDuration(value);
    if (ms === undefined) fail(where, `${where} ${DURATION_HINT}${got(value)}`);
    else if (ms < minMs || ms > maxMs) fail(where, `${where} must be from ${formatDuration(minMs)} to ${formatDuration(maxMs)}${got(value)}`);
  };
  percent("percentage", strategy === "canary" ? 99 : 100);
  percent("batchPercentage", 100);
  duration("duration");
  duration("interval");
  duration("rollbackWindow");
  duration("timeout", "rollout.timeout", rollout.timeout, 7 * DAY_MS);
  if (rollout.batchSize !== undefined && !isUnknown(rollout.batchSize) && !isInt(rollout.batchSize, 1, 10_000)) {
    fail("rollout.batchSize", `rollout.batchSize must be a number of runners, an integer ≥ 1${got(rollout.batchSize)}`);
  }
  if (rollout.batchSize !== undefined && rollout.batchPercentage !== undefined) {
    fail("rollout.batchSize", 'Cannot set both "batchSize" and "batchPercentage": a rolling batch is a number of runners or a share of them');
  } else if (strategy === "rolling" && rollout.batchSize === undefined && rollout.batchPercentage === undefined) {
    fail("rollout.batchSize", '"rolling" needs rollout.batchSize (runners per batch) or rollout.batchPercentage (percent of runners per batch)');
  }
  if (rollout.onConflict !== undefined && !isUnknown(rollout.onConflict) && rollout.onConflict !== "fail" && rollout.onConflict !== "cancel") {
    fail("rollout.onConflict", `rollout.onConflict must be "fail" (the default: stop if another deployment owns the alias) or "cancel" (roll that deployment back and start this one)${got(rollout.onConflict)}`);
  }
  const analysis = rollout.analysis;
  if (analysis !== undefined && !isUnknown(analysis)) {
    if (strategy === "direct") fail("rollout.analysis", 'rollout.analysis does not apply to "direct": all traffic moves at once, so there is nothing to analyse');
    else if (typeof analysis !== "object" || analysis === null || Array.isArray(analysis)) fail("rollout.analysis", "rollout.analysis must be an object like { maxErrorRate: 0.05, maxP99: \"500 ms\" }");
    else {
      for (const key of Object.keys(analysis)) {
        if (!ANALYSIS_FIELDS.includes(key)) fail(`rollout.analysis.${key}`, `rollout.analysis.${key} is not an analysis setting; the settings are ${ANALYSIS_FIELDS.join(", ")}`);
      }
      duration("interval", "rollout.analysis.interval", analysis.interval, 3_600_000);
      duration("maxP99", "rollout.analysis.maxP99", analysis.maxP99, DAY_MS, 1);
      const fraction = (key: string, example: string) => {
        const v = analysis[key];
        if (v !== undefined && !isUnknown(v) && !isFraction(v)) fail(`rollout.analysis.${key}`, `rollout.analysis.${key} must be a fraction from 0 to 1, like ${example}${got(v)}`);
      };
      fraction("maxErrorRate", "0.05 for 5%");
      fraction("maxErrorRateIncrease", "0.02 for 2 percentage points more than the current version");
      const p99Increase = analysis.maxP99Increase;
      if (p99Increase !== undefined && !isUnknown(p99Increase) && !(typeof p99Increase === "number" && Number.isFinite(p99Increase) && p99Increase > 0)) {
        fail("rollout.analysis.maxP99Increase", `rollout.analysis.maxP99Increase must be a fraction more than 0, like 0.5 for 50% slower than the current version${got(p99Increase)}`);
      }
      if (analysis.minRequests !== undefined && !isUnknown(analysis.minRequests) && !isInt(analysis.minRequests, 1, 1_000_000_000)) {
        fail("rollout.analysis.minRequests", `rollout.analysis.minRequests must be an integer ≥ 1${got(analysis.minRequests)}`);
      }
    }
  }
  // pulumi up must wait long enough for the rollout's own schedule.
  const timeoutMs = parseDuration(rollout.timeout ?? DEFAULT_ROLLOUT_TIMEOUT);
  const planned = strategy === "canary" ? parseDuration(rollout.duration ?? DEFAULTS.canaryDuration) : undefined;
  if (timeoutMs !== undefined && planned !== undefined && planned <= DAY_MS && timeoutMs <= planned) {
    fail("rollout.timeout", `rollout.timeout (${formatDuration(timeoutMs)}) must be longer than the canary's duration (${formatDuration(planned)}), or pulumi up stops waiting before the rollout can finish`);
  }
}

/** The strategy, config and analysis of `POST /api/v1/deployments`, from checked rollout inputs. */
export function deploymentRequest(rollout: RolloutInputs): DeploymentRequest {
  const iso = (d: string) => toIsoDuration(parseDuration(d)!);
  const config: Record<string, unknown> = {};
  switch (rollout.strategy) {
    case "canary":
      config.canaryPercentage = rollout.percentage ?? DEFAULTS.canaryPercentage;
      config.canaryDuration = iso(rollout.duration ?? DEFAULTS.canaryDuration);
      break;
    case "linear":
      config.stepPercentage = rollout.percentage ?? DEFAULTS.stepPercentage;
      config.stepInterval = iso(rollout.interval ?? DEFAULTS.stepInterval);
      break;
    case "blue-green":
      if (rollout.rollbackWindow !== undefined) config.rollbackWindow = iso(rollout.rollbackWindow);
      if (rollout.smokeEvent !== undefined) config.smokeEvent = rollout.smokeEvent;
      break;
    case "rolling":
      if (rollout.batchSize !== undefined) config.batchSize = rollout.batchSize;
      if (rollout.batchPercentage !== undefined) config.batchPercentage = rollout.batchPercentage;
      config.batchInterval = iso(rollout.interval ?? DEFAULTS.batchInterval);
      break;
    case "direct":
      break;
  }
  const a = rollout.analysis ?? {};
  const analysis: DeploymentRequest["analysis"] = {};
  if (a.interval !== undefined) analysis.interval = iso(a.interval);
  if (a.maxErrorRate !== undefined) analysis.maxErrorRate = a.maxErrorRate;
  if (a.maxP99 !== undefined) analysis.maxP99LatencyMs = parseDuration(a.maxP99);
  if (a.maxErrorRateIncrease !== undefined) analysis.maxErrorRateIncrease = a.maxErrorRateIncrease;
  if (a.maxP99Increase !== undefined) analysis.maxP99Increase = a.maxP99Increase;
  if (a.minRequests !== undefined) analysis.minRequests = a.minRequests;
  const out: DeploymentRequest = {
    strategy: API_STRATEGY[rollout.strategy],
    config,
    analysis,
  };
  if (rollout.onConflict !== undefined) out.onConflict = rollout.onConflict;
  return out;
}

export interface AliasChanges {
  replace: string[];
  live: string[];
  stateOnly: string[];
}

/** What differs: function or name replace the alias; version, weights, description and protection change it; the rest is stack-only. */
export function aliasChanges(olds: Record<string, any>, news: Record<string, any>): AliasChanges {
  const differs = (k: string) => isUnknown(news[k]) || !sameValue(olds[k] ?? defaultOf(k), news[k] ?? defaultOf(k));
  return {
    replace: ["functionName", "name"].filter(differs),
    live: ["version", "weights", "description", "protected"].filter(differs),
    stateOnly: ["endpoint", "apiKey", "rollout"].filter(differs),
  };
}

function defaultOf(key: string): unknown {
  return key === "weights" ? {} : key === "description" ? "" : key === "protected" ? false : undefined;
}
