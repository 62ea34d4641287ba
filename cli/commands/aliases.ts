/** `hotswap aliases ls|set|rm`: a function's aliases and their weights. */
import { InvalidArgumentError, type Command } from "commander";
import type { AliasView } from "../../protocol/api/aliases.ts";
import { clientAction, must, wholeNumber } from "../command-kit.ts";
import { formatTable } from "../output.ts";

/** `2=0.1`: version 2 takes 10 % of the alias's traffic (repeatable). */
function versionWeight(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const m = /^([1-9]\d*)=(0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not VERSION=WEIGHT with a weight from 0 to 1, e.g. 2=0.1.`);
  return { ...previous, [m[1]!]: Number(m[2]) };
}

export function weightsOf(a: AliasView): string {
  const extra = Object.entries(a.routingConfig.additionalVersionWeights);
  const rest = 1 - extra.reduce((s, [, w]) => s + w, 0);
  return [`v${a.version} ${Math.round(rest * 1000) / 10}%`, ...extra.map(([v, w]) => `v${v} ${Math.round(w * 1000) / 10}%`)].join(", ");
}

export function registerAliasCommands(program: Command): void {
  const aliases = program.command("aliases").description("list, point and delete a function's aliases");

  aliases
    .command("ls <function>")
    .description("list a function's aliases with their weights")
    .action(
      clientAction(async ({ api, out }, fn: string) => {
        const list = must(await api.aliases.list(fn), `listing the aliases of "${fn}"`);
        out.result(list, () =>
          formatTable(list.aliases, [
            ["ALIAS", (a) => a.name],
            ["VERSION", (a) => a.version],
            ["WEIGHTS", (a) => weightsOf(a)],
            ["PROTECTED", (a) => (a.protected ? "yes" : "no")],
            ["UPDATED", (a) => a.updatedAt],
            ["DESCRIPTION", (a) => a.description],
          ]),
        );
      }),
    );

  aliases
    .command("set")
    .argument("<function>")
    .argument("<alias>")
    .argument("<version>", "the version number", wholeNumber)
    .description("point an alias at a version (created if missing), optionally splitting traffic")
    .option("--weight <VERSION=WEIGHT>", "send this share (0-1) of the alias's traffic to another version (repeatable)", versionWeight)
    .option("--description <text>", "a description")
    .action(
      clientAction(async ({ api, out }, fn: string, alias: string, v: number, o: { weight?: Record<string, number>; description?: string }) => {
        const a = must(
          await api.aliases.put(fn, alias, { version: v, ...(o.weight ? { routingConfig: { additionalVersionWeights: o.weight } } : {}), ...(o.description !== undefined ? { description: o.description } : {}) }),
          `setting alias "${alias}" of "${fn}"`,
        );
        out.result(a, () => `Alias ${fn}:${a.name} → ${weightsOf(a)}.`);
      }),
    );

  aliases
    .command("rm <function> <alias>")
    .description("delete an alias")
    .action(
      clientAction(async ({ api, out }, fn: string, alias: string) => {
        must(await api.aliases.delete(fn, alias), `deleting alias "${alias}" of "${fn}"`);
        out.result({ deleted: alias, functionName: fn }, () => `Deleted alias ${fn}:${alias}.`);
      }),
    );
}
