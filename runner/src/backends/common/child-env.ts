/**
 * The environment of an instance process, built from nothing: a minimal base, the Lambda
 * variables and the function's own environment. The runner's variables (DATABASE_URL, secrets,
 * credentials) never reach function code.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { FunctionSpec } from "../../../../protocol/invoke.ts";
import { runtimeFamily, runtimeLanguageVersion, type RuntimeId } from "../../../../protocol/runtimes.ts";

export const DEFAULT_CHILD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
export const DEFAULT_REGION = "us-east-1";

/** Variables the platform owns: a function's environment cannot override them. */
const RESERVED = new Set([
  "LAMBDA_TASK_ROOT",
  "_HANDLER",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_RUNTIME_API",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "LAMBDA_RUNTIME_DIR",
  "HOTSWAP_CHANNEL_FD",
  "HOTSWAP_CHANNEL_SOCKET",
  "HOTSWAP_CHANNEL_TCP",
  "HOTSWAP_CHANNEL_TOKEN",
  "HOTSWAP_CONCURRENCY",
  "AWS_LAMBDA_MAX_CONCURRENCY",
  "HOTSWAP_LAYERS_DIR",
]);

/** Lambda's AWS_LAMBDA_INITIALIZATION_TYPE: provisioned instances are started ahead of demand. */
export type InitializationType = "on-demand" | "provisioned-concurrency";

export interface ChildEnvInput {
  /** Directory of the interpreter, put first on PATH so scripts find the same node/python. */
  interpreterDir?: string;
  /** PATH after the interpreter's directory. */
  basePath?: string;
  memorySize: number;
  spec?: FunctionSpec;
  codeDir?: string;
  initializationType?: InitializationType;
  /** Where the instance sees its merged layers: /opt in a container, the layer tree's path for a process. */
  layersDir?: string;
  /** Where the runtime's bootstrap lives (LAMBDA_RUNTIME_DIR; /var/runtime on AWS). */
  runtimeDir?: string;
  /** Protocol-specific variables: HOTSWAP_CHANNEL_FD, HOTSWAP_CHANNEL_TCP/TOKEN or AWS_LAMBDA_RUNTIME_API. */
  channel: Record<string, string>;
}

/** Lambda's variables for a spec (the descriptive ones are also sent in the fast channel's init for stems). */
export function lambdaVariables(spec: FunctionSpec, codeDir: string, initType: InitializationType = "on-demand", runtimeDir?: string): Record<string, string> {
  return {
    LAMBDA_TASK_ROOT: codeDir,
    _HANDLER: spec.handler,
    AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: String(spec.version),
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
    ...instanceFacts(spec, initType, runtimeDir),
  };
}

/** `AWS_Lambda_nodejs20.x`, `AWS_Lambda_python3.12`, `AWS_Lambda_java17`, `AWS_Lambda_ruby3.1`; AWS sets none for custom (`provided`) runtimes. */
export function executionEnv(runtime: RuntimeId): string | undefined {
  const family = runtimeFamily(runtime);
  if (family === "node") return `AWS_Lambda_${runtime}.x`;
  if (family === "python" || family === "java" || family === "ruby") return `AWS_Lambda_${runtime}`;
  return undefined;
}

/**
 * What Lambda tells an instance about itself: its execution environment, its log group and
 * stream (`/aws/lambda/NAME`, `YYYY/MM/DD/[VERSION]<32 hex>`, one stream per instance as on AWS),
 * how it was started, and where the runtime lives.
 */
export function instanceFacts(spec: FunctionSpec, initType: InitializationType = "on-demand", runtimeDir?: string): Record<string, string> {
  const d = new Date();
  const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${String(d.getUTCDate()).padStart(2, "0")}`;
  const facts: Record<string, string> = {
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[${spec.version}]${randomBytes(16).toString("hex")}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: initType,
  };
  const execEnv = executionEnv(spec.runtime);
  if (execEnv) facts.AWS_EXECUTION_ENV = execEnv;
  if (runtimeDir) facts.LAMBDA_RUNTIME_DIR = runtimeDir;
  return facts;
}

/** The function's own variables minus the reserved names. */
export function functionVariables(spec: FunctionSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.environment)) if (!RESERVED.has(k)) out[k] = String(v);
  return out;
}

/**
 * What Lambda's runtimes put on their search paths for /opt, with `opt` where the layers are:
 * Node's NODE_PATH (`nodejs/node20/node_modules`, then `nodejs/node_modules`), Python's path
 * (`python/lib/python3.x/site-packages`, then `python`, after the task root), `bin` at the end of
 * PATH, `lib` on LD_LIBRARY_PATH. The function's own environment may still override these, as on
 * Lambda, where they are not reserved.
 */
export function layerVariables(runtime: RuntimeId, opt: string, basePath: string): Record<string, string> {
  const family = runtimeFamily(runtime);
  const version = runtimeLanguageVersion(runtime);
  const vars: Record<string, string> = {
    HOTSWAP_LAYERS_DIR: opt,
    PATH: `${basePath}${path.delimiter}${opt}/bin`,
    LD_LIBRARY_PATH: `${opt}/lib`,
  };
  if (family === "node") vars.NODE_PATH = [`${opt}/nodejs/node${version}/node_modules`, `${opt}/nodejs/node_modules`].join(path.delimiter);
  if (family === "python") vars.PYTHONPATH = [`${opt}/python/lib/python${version}/site-packages`, `${opt}/python`].join(path.delimiter);
  return vars;
}

export function buildChildEnv(input: ChildEnvInput): Record<string, string> {
  const basePath = input.basePath ?? DEFAULT_CHILD_PATH;
  const env: Record<string, string> = {
    PATH: input.interpreterDir ? `${input.interpreterDir}${path.delimiter}${basePath}` : basePath,
    LANG: "C.UTF-8",
    TZ: "UTC",
    HOME: "/tmp",
    AWS_REGION: DEFAULT_REGION,
    AWS_DEFAULT_REGION: DEFAULT_REGION,
  };
  if (input.spec && input.codeDir) {
    if (input.layersDir !== undefined) Object.assign(env, layerVariables(input.spec.runtime, input.layersDir, env.PATH!));
    Object.assign(env, functionVariables(input.spec), lambdaVariables(input.spec, input.codeDir, input.initializationType, input.runtimeDir));
    const concurrency = String(input.spec.instanceConcurrency);
    env.HOTSWAP_CONCURRENCY = concurrency;
    env.AWS_LAMBDA_MAX_CONCURRENCY = concurrency;
  }
  Object.assign(env, input.channel);
  return env;
}
