/**
 * The client commands (login, functions, versions, aliases, deploy, invoke, logs, rollouts,
 * triggers, runners, keys): everything that talks to the API through the typed client. Loaded by
 * main.ts only when the command line is not an operator command, so `hotswap server` and
 * `hotswap runner` never load the client or the API's schemas for it.
 */
import type { Command } from "commander";
import { registerLoginCommands } from "./login.ts";
import { registerFunctionCommands } from "./functions.ts";
import { registerVersionCommands } from "./versions.ts";
import { registerAliasCommands } from "./aliases.ts";
import { registerDeployCommand } from "./deploy.ts";
import { registerInvokeCommand } from "./invoke.ts";
import { registerLogsCommand } from "./logs.ts";
import { registerRolloutCommands } from "./rollouts.ts";
import { registerTriggerCommands } from "./triggers.ts";
import { registerRunnerCommands } from "./runners.ts";
import { registerKeyCommands } from "./keys.ts";

export function registerClientCommands(program: Command): void {
  registerLoginCommands(program);
  registerFunctionCommands(program);
  registerVersionCommands(program);
  registerAliasCommands(program);
  registerDeployCommand(program);
  registerInvokeCommand(program);
  registerLogsCommand(program);
  registerRolloutCommands(program);
  registerTriggerCommands(program);
  registerRunnerCommands(program);
  registerKeyCommands(program);
}
