/**
 * The function-configuration options `functions create|update` and `deploy` share (--runtime,
 * --handler, --memory, --timeout, --env K=V, --description), and the API body they make.
 */
import type { Command } from "commander";
import type { UpdateFunctionInput } from "../protocol/api/functions.ts";
import { keyValue, wholeNumber } from "./command-kit.ts";

export interface FunctionSettingOptions {
  runtime?: string;
  handler?: string;
  memory?: number;
  timeout?: number;
  env?: Record<string, string>;
  description?: string;
}

export function addFunctionSettingOptions(cmd: Command): Command {
  return cmd
    .option("--runtime <id>", "runtime id, e.g. nodejs20, python3.12, provided (GET /api/v1/runtimes lists them)")
    .option("--handler <handler>", "entry point, e.g. index.handler")
    .option("--memory <mb>", "memory size in MB", wholeNumber)
    .option("--timeout <seconds>", "time limit of one invocation, in seconds", wholeNumber)
    .option("--env <KEY=VALUE>", "an environment variable (repeatable; replaces the whole environment)", keyValue)
    .option("--description <text>", "a description");
}

/** The settings given, in the API's field names; empty when none was. */
export function functionSettingsOf(o: FunctionSettingOptions): UpdateFunctionInput {
  const body: UpdateFunctionInput = {};
  if (o.runtime !== undefined) body.runtime = o.runtime;
  if (o.handler !== undefined) body.handler = o.handler;
  if (o.memory !== undefined) body.memorySize = o.memory;
  if (o.timeout !== undefined) body.timeout = o.timeout;
  if (o.env !== undefined) body.environment = o.env;
  if (o.description !== undefined) body.description = o.description;
  return body;
}
