/** `hotswap functions ls|get|create|update|rm`: the functions of the platform. */
import type { Command } from "commander";
import type { FunctionView } from "../../protocol/api/functions.ts";
import { clientAction, must } from "../command-kit.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { addFunctionSettingOptions, functionSettingsOf, type FunctionSettingOptions } from "../function-settings.ts";
import { formatFields, formatTable } from "../output.ts";

export function describeFunction(f: FunctionView): string {
  return formatFields({
    name: f.name,
    runtime: f.runtime,
    handler: f.handler,
    memory: `${f.memorySize} MB`,
    timeout: `${f.timeout} s`,
    "latest version": f.latestVersion,
    environment: Object.keys(f.environment).length === 0 ? null : Object.entries(f.environment).map(([k, v]) => `${k}=${v}`).join(" "),
    description: f.description,
    updated: f.updatedAt,
  });
}

export function registerFunctionCommands(program: Command): void {
  const functions = program.command("functions").alias("fn").description("list, read, create, configure and delete functions");

  functions
    .command("ls")
    .description("list the functions")
    .action(
      clientAction(async ({ api, out }) => {
        const list = must(await api.functions.list(), "listing functions");
        out.result(list, () =>
          formatTable(list.functions, [
            ["NAME", (f) => f.name],
            ["RUNTIME", (f) => f.runtime],
            ["HANDLER", (f) => f.handler],
            ["MEMORY", (f) => f.memorySize],
            ["TIMEOUT", (f) => f.timeout],
            ["LATEST", (f) => f.latestVersion],
            ["UPDATED", (f) => f.updatedAt],
          ]),
        );
      }),
    );

  functions
    .command("get <name>")
    .description("show a function's configuration")
    .action(
      clientAction(async ({ api, out }, name: string) => {
        const f = must(await api.functions.get(name), `reading function "${name}"`);
        out.result(f, () => describeFunction(f));
      }),
    );

  addFunctionSettingOptions(functions.command("create <name>").description("create a function (then publish code with `hotswap deploy`)"))
    .action(
      clientAction(async (ctx, name: string, o: FunctionSettingOptions) => {
        if (o.runtime === undefined || o.handler === undefined) throw new CliError("functions create needs --runtime and --handler.", EXIT.usage);
        const { api, out } = ctx; // after the usage checks: only now are credentials needed
        const f = must(await api.functions.create({ name, ...functionSettingsOf(o), runtime: o.runtime, handler: o.handler }), `creating function "${name}"`);
        out.result(f, () => `Created function ${f.name}.\n${describeFunction(f)}`);
      }),
    );

  addFunctionSettingOptions(functions.command("update <name>").description("change a function's configuration (it takes effect in the next version)"))
    .action(
      clientAction(async (ctx, name: string, o: FunctionSettingOptions) => {
        const body = functionSettingsOf(o);
        if (Object.keys(body).length === 0) throw new CliError("functions update needs at least one of --runtime, --handler, --memory, --timeout, --env, --description.", EXIT.usage);
        const { api, out } = ctx; // after the usage checks: only now are credentials needed
        const f = must(await api.functions.update(name, body), `updating function "${name}"`);
        out.result(f, () => `Updated function ${f.name}.\n${describeFunction(f)}`);
      }),
    );

  functions
    .command("rm <name>")
    .description("delete a function with its versions, aliases and triggers")
    .action(
      clientAction(async ({ api, out }, name: string) => {
        must(await api.functions.delete(name), `deleting function "${name}"`);
        out.result({ deleted: name }, () => `Deleted function ${name}.`);
      }),
    );
}
