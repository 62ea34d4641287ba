/** `hotswap versions ls <fn>`: a function's immutable versions. */
import type { Command } from "commander";
import { clientAction, must } from "../command-kit.ts";
import { formatTable } from "../output.ts";

export function registerVersionCommands(program: Command): void {
  const versions = program.command("versions").description("list a function's published versions");
  versions
    .command("ls <function>")
    .description("list the versions of a function, oldest first")
    .action(
      clientAction(async ({ api, out }, fn: string) => {
        const list = must(await api.versions.list(fn), `listing the versions of "${fn}"`);
        out.result(list, () =>
          formatTable(list.versions, [
            ["VERSION", (v) => v.version],
            ["SIZE", (v) => v.codeSize],
            ["SHA256", (v) => v.codeSha256.slice(0, 12)],
            ["RUNTIME", (v) => v.runtime],
            ["HANDLER", (v) => v.handler],
            ["CREATED", (v) => v.createdAt],
            ["DESCRIPTION", (v) => v.description],
          ]),
        );
      }),
    );
}
