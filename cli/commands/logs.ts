/**
 * `hotswap logs <fn> [-f] [--request-id] [--since 10m]`: a function's log lines, oldest first;
 * with -f the newest ones then live lines as they are written (Server-Sent Events), until Ctrl-C.
 * --json prints the API's page, or with -f one API line object per line (NDJSON).
 */
import type { Command } from "commander";
import { LogTailRefused } from "../../client/index.ts";
import type { FunctionLogLine } from "../../protocol/api/logs.ts";
import { clientAction, must, wholeNumber } from "../command-kit.ts";
import { sinceTime } from "../durations.ts";
import { apiError, CliError } from "../exit-codes.ts";

interface LogsOptions {
  follow?: boolean;
  requestId?: string;
  since?: string;
  version?: number;
  limit?: number;
}

function lineText(l: FunctionLogLine): string {
  return `${l.at}  v${l.version}  ${l.requestId ?? "-"}  ${l.stream}  ${l.message}`;
}

export function registerLogsCommand(program: Command): void {
  program
    .command("logs <function>")
    .description("print a function's log lines (and follow new ones with -f)")
    .option("-f, --follow", "keep printing lines as they are written, until interrupted")
    .option("--request-id <id>", "only the lines of this invocation")
    .option("--since <when>", "only lines written since then: a duration back from now (10m, 1h) or an ISO-8601 time")
    .option("--version <n>", "only lines of this version", wholeNumber)
    .option("--limit <n>", "lines to print (1-1000; default 100; with -f, the backlog)", wholeNumber)
    .action(
      clientAction(async ({ api, out }, fn: string, o: LogsOptions) => {
        const query = { requestId: o.requestId, since: o.since === undefined ? undefined : sinceTime(o.since), version: o.version, limit: o.limit };
        if (!o.follow) {
          const page = must(await api.logs.functionLogs(fn, query), `reading the logs of "${fn}"`);
          out.result(page, () => (page.lines.length === 0 ? "(no log lines)" : page.lines.map(lineText).join("\n")));
          if (page.nextCursor !== null && !out.json) out.info(`(more lines: narrow with --since or --request-id, or raise --limit)`);
          return;
        }
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        try {
          for await (const e of api.logs.follow(fn, query, { signal: abort.signal })) {
            if (e.type === "log") process.stdout.write(`${out.json ? JSON.stringify(e.line) : lineText(e.line)}\n`);
            else {
              out.info(`(the server ended the tail: ${JSON.stringify(e.end)})`);
              break;
            }
          }
        } catch (e) {
          if (abort.signal.aborted) return;
          if (e instanceof LogTailRefused) throw apiError(`following the logs of "${fn}"`, e.failure);
          throw new CliError(`following the logs of "${fn}" failed: ${(e as Error).message}`);
        } finally {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
        }
      }),
    );
}
