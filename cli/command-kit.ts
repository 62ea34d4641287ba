/**
 * What every client command is built from: `clientAction` turns a command's handler into a
 * commander action that resolves the credentials, builds the typed API client, honours `--json`,
 * and sets the process's exit code; `must` unwraps an API result or ends the command with the
 * API's code and message; the option parsers turn text into the numbers and maps the API takes.
 */
import { InvalidArgumentError, type Command } from "commander";
import { createApiClient, type ApiClient, type ApiResult } from "../client/index.ts";
import { resolveCredentials } from "./credentials.ts";
import { apiError, EXIT } from "./exit-codes.ts";
import { createPrinter, type Printer } from "./output.ts";

export interface CommandContext {
  api: ApiClient;
  out: Printer;
  env: Record<string, string | undefined>;
}

/**
 * A commander action for a command that talks to the API: `handler(ctx, ...args, options)`.
 * Its return value is the exit code (default 0).
 */
export function clientAction<A extends unknown[]>(handler: (ctx: CommandContext, ...args: A) => Promise<number | void>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const globals = command.optsWithGlobals() as { json?: boolean };
    const env = process.env;
    // Built on first use, so a command's own usage checks come before "not signed in".
    let api: ApiClient | undefined;
    const ctx: CommandContext = {
      get api() {
        if (api === undefined) {
          const creds = resolveCredentials(env);
          api = createApiClient({ baseUrl: creds.url, apiKey: creds.apiKey, token: creds.token, timeoutMs: 60_000 });
        }
        return api;
      },
      out: createPrinter(globals.json === true),
      env,
    };
    const code = await handler(ctx, ...(args.slice(0, -1) as A));
    process.exitCode = code ?? EXIT.ok;
  };
}

/** The value of a successful call; otherwise ends the command: `<action> failed: <code> (HTTP n): <message>`. */
export function must<T>(result: ApiResult<T>, action: string): T {
  if (result.ok) return result.value;
  throw apiError(action, result.error);
}

/** `--memory 256`: a whole number, or a usage error. */
export function wholeNumber(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError("must be a whole number.");
  return Number(value);
}

/** A number (`--percentage 12.5`). */
export function decimal(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError("must be a number.");
  return n;
}

/** Repeatable `K=V` (`--env A=1 --env B=2`) into a map. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`"${value}" is not KEY=VALUE.`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** A JSON document given on the command line (`--config '{"path":"/x"}'`). */
export function jsonArgument(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new InvalidArgumentError(`is not JSON (${(e as Error).message}).`);
  }
}

/** Repeatable or comma-separated list (`--functions a,b --functions c`). */
export function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((s) => s.trim()).filter((s) => s !== "")];
}
