/**
 * `hotswap triggers ls|create|rm`: Http, Scheduled, Queue and Stream triggers. `create` takes the
 * type's config as JSON (--config), or the common fields as options: --path/--method for Http,
 * --schedule for Scheduled.
 */
import { Option, type Command } from "commander";
import { TRIGGER_TYPES, type TriggerType } from "../../protocol/api/triggers.ts";
import { clientAction, jsonArgument, list, must } from "../command-kit.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { formatFields, formatTable } from "../output.ts";

interface CreateOptions {
  function: string;
  type: TriggerType;
  qualifier?: string;
  config?: unknown;
  path?: string;
  method?: string[];
  schedule?: string;
  disabled?: boolean;
}

function configOf(o: CreateOptions): Record<string, unknown> {
  const given = o.config ?? {};
  if (typeof given !== "object" || given === null || Array.isArray(given)) throw new CliError("--config must be a JSON object.", EXIT.usage);
  const config = { ...(given as Record<string, unknown>) };
  if (o.path !== undefined) config.path = o.path;
  if (o.method !== undefined) config.methods = o.method.map((m) => m.toUpperCase());
  if (o.type === "Http" && config.methods === undefined && config.path !== undefined) config.methods = ["ANY"];
  if (o.schedule !== undefined) config.schedule = o.schedule;
  return config;
}

export function registerTriggerCommands(program: Command): void {
  const triggers = program.command("triggers").description("list, create and delete triggers");

  triggers
    .command("ls")
    .description("list triggers")
    .option("--function <name>", "only this function's")
    .addOption(new Option("--type <type>", "only this type").choices([...TRIGGER_TYPES]))
    .action(
      clientAction(async ({ api, out }, o: { function?: string; type?: TriggerType }) => {
        const page = must(await api.triggers.list({ functionName: o.function, type: o.type }), "listing triggers");
        out.result(page, () =>
          formatTable(page.triggers, [
            ["ID", (t) => t.triggerId],
            ["FUNCTION", (t) => `${t.functionName}:${t.qualifier}`],
            ["TYPE", (t) => t.type],
            ["CONFIG", (t) => (t.type === "Http" ? `${(t.config.methods as string[] | undefined)?.join(",")} ${t.config.path}` : t.type === "Scheduled" ? t.config.schedule : t.config)],
            ["ENABLED", (t) => (t.enabled ? "yes" : "no")],
            ["RUNS", (t) => t.executionCount],
            ["FAILURES", (t) => t.failureCount],
            ["LAST ERROR", (t) => t.lastError],
          ]),
        );
      }),
    );

  triggers
    .command("create")
    .description("create a trigger")
    .requiredOption("--function <name>", "the function it invokes")
    .addOption(new Option("--type <type>", "the trigger type").choices([...TRIGGER_TYPES]).makeOptionMandatory())
    .option("--qualifier <q>", "version or alias it invokes (default $LATEST)")
    .option("--config <json>", "the type's config as a JSON object (see the API docs: HttpTriggerConfig, ScheduledTriggerConfig...)", jsonArgument)
    .option("--path <path>", "Http: the route, e.g. /orders/{id}")
    .option("--method <methods>", "Http: methods, comma-separated or repeated (default ANY)", list)
    .option("--schedule <expr>", "Scheduled: rate(5 minutes), cron(0 12 * * ? *) or a 5/6-field cron")
    .option("--disabled", "create it disabled")
    .addHelpText("after", '\nExamples:\n  hotswap triggers create --function hello --type Http --path /hello --method GET\n  hotswap triggers create --function report --type Scheduled --schedule "rate(1 hour)"\n  hotswap triggers create --function worker --type Queue --config \'{"source":"redis","stream":"jobs"}\'')
    .action(
      clientAction(async ({ api, out }, o: CreateOptions) => {
        const t = must(
          await api.triggers.create({ functionName: o.function, type: o.type, config: configOf(o), ...(o.qualifier !== undefined ? { qualifier: o.qualifier } : {}), ...(o.disabled ? { enabled: false } : {}) }),
          `creating a ${o.type} trigger for "${o.function}"`,
        );
        out.result(t, () => `Created trigger ${t.triggerId}.\n${formatFields({ function: `${t.functionName}:${t.qualifier}`, type: t.type, config: t.config, enabled: t.enabled })}`);
      }),
    );

  triggers
    .command("rm <id>")
    .description("delete a trigger")
    .action(
      clientAction(async ({ api, out }, id: string) => {
        must(await api.triggers.delete(id), `deleting trigger ${id}`);
        out.result({ deleted: id }, () => `Deleted trigger ${id}.`);
      }),
    );
}
