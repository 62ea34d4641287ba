/**
 * `hotswap invoke <fn> [--qualifier] [--data JSON | --file F] [--async] [--log]`: runs the function
 * and prints its answer on stdout; version, cold start, duration and request id (and with --log the
 * invocation's log tail) go to stderr. Exit 6 when the handler raised an error.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { clientAction, must } from "../command-kit.ts";
import { CliError, EXIT } from "../exit-codes.ts";

interface InvokeCliOptions {
  qualifier?: string;
  data?: string;
  file?: string;
  async?: boolean;
  log?: boolean;
}

/** The event's text from --data, --file or stdin (--file -), checked to be JSON; undefined when none is given. */
async function eventBody(o: InvokeCliOptions): Promise<string | undefined> {
  if (o.data !== undefined && o.file !== undefined) throw new CliError("give the event with --data or --file, not both.", EXIT.usage);
  let text = o.data;
  if (o.file === "-") text = await readStdin();
  else if (o.file !== undefined) {
    try {
      text = await readFile(o.file, "utf8");
    } catch (e) {
      throw new CliError(`cannot read ${o.file}: ${(e as Error).message}`, EXIT.usage);
    }
  }
  if (text === undefined) return undefined;
  try {
    JSON.parse(text);
  } catch (e) {
    throw new CliError(`the event is not JSON (${(e as Error).message}).`, EXIT.usage);
  }
  return text;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function registerInvokeCommand(program: Command): void {
  program
    .command("invoke <function>")
    .description("invoke a function and print its answer")
    .option("--qualifier <q>", "a version number, an alias or $LATEST (default: alias live if it exists, else $LATEST)")
    .option("--data <json>", "the event, as JSON")
    .option("--file <path>", "read the event from a file (- for stdin)")
    .option("--async", "queue the event (202) and print the request id instead of waiting for the answer")
    .option("--log", "also print the end of the invocation's log (stderr)")
    .action(
      clientAction(async (ctx, fn: string, o: InvokeCliOptions) => {
        const body = await eventBody(o);
        const { api, out } = ctx; // after the usage checks: only now are credentials needed
        const common = { qualifier: o.qualifier, ...(body !== undefined ? { body } : {}) };
        if (o.async) {
          const accepted = must(await api.async.invoke(fn, undefined, common), `queueing an invocation of "${fn}"`);
          out.result(accepted, () => `Queued: request ${accepted.requestId} (${accepted.status}).`);
          return;
        }
        const started = Date.now();
        const v = must(await api.invoke(fn, undefined, { ...common, ...(o.log ? { logType: "Tail" as const } : {}) }), `invoking "${fn}"`);
        const ms = Date.now() - started;
        if (o.log && v.logResult) out.info(v.logResult.replace(/\n$/, ""));
        if (out.json) {
          out.result(
            { statusCode: v.status, payload: v.payload ?? v.body, functionError: v.functionError ?? null, version: v.version ?? null, coldStart: v.coldStart ?? null, requestId: v.requestId ?? null, durationMs: ms, ...(o.log ? { log: v.logResult ?? "" } : {}) },
            () => "",
          );
        } else {
          process.stdout.write(v.body.endsWith("\n") || v.body === "" ? v.body : `${v.body}\n`);
          out.info(`v${v.version ?? "?"}  ${v.coldStart ? "cold" : "warm"}  ${ms} ms  request ${v.requestId ?? "-"}${v.functionError ? `  function error: ${v.functionError}` : ""}`);
        }
        return v.functionError !== undefined ? EXIT.functionError : EXIT.ok;
      }),
    );
}
