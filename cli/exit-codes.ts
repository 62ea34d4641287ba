/**
 * The `hotswap` command's exit codes, and the error a command throws to end with one of them.
 * Every client command maps the API's answer onto these, so scripts can branch on `$?`.
 */
import type { ApiFailure } from "../client/index.ts";

export const EXIT = {
  /** Done. */
  ok: 0,
  /** The API refused the request (4xx/5xx other than below), could not be reached, or a local step failed. */
  error: 1,
  /** The command line is wrong: unknown command or option, missing or malformed argument. */
  usage: 2,
  /** What the command names does not exist (HTTP 404, or an API code ending in NotFound). */
  notFound: 3,
  /** No credentials, or the API refused them (HTTP 401) or the action (HTTP 403). */
  auth: 4,
  /** A deployment ended RolledBack or Failed (deploy --alias, rollouts watch). */
  rolledBack: 5,
  /** invoke: the function's handler raised an error (its error document is printed). */
  functionError: 6,
} as const;

/** What `hotswap --help` says about exit codes. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  the API refused the request or could not be reached, or a local step failed
  2  usage error (unknown command or option, bad argument)
  3  not found (the function, version, alias, deployment, trigger or key does not exist)
  4  not signed in, or the credentials were refused (401) or lack a permission (403)
  5  the deployment was rolled back or failed (deploy --alias ... --strategy, rollouts watch)
  6  invoke: the function's handler raised an error`;

/** Ends a command with `exitCode` after printing `message` to stderr (prefixed with "hotswap: "). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** The exit code an API failure maps to. */
export function exitCodeOf(failure: ApiFailure): number {
  // VersionNotFound comes as a 400 where the missing version is a field of the request body.
  if (failure.status === 404 || /NotFound$/.test(failure.code)) return EXIT.notFound;
  if (failure.status === 401 || failure.status === 403) return EXIT.auth;
  return EXIT.error;
}

/** `<code> (HTTP <status>): <message> [request <id>]`: the API's words, as the CLI prints them. */
export function describeFailure(failure: ApiFailure): string {
  const status = failure.status > 0 ? ` (HTTP ${failure.status})` : "";
  const request = failure.requestId ? ` [request ${failure.requestId}]` : "";
  return `${failure.code}${status}: ${failure.message}${request}`;
}

/** A CliError for an API failure, with the action that failed in front. */
export function apiError(action: string, failure: ApiFailure): CliError {
  return new CliError(`${action} failed: ${describeFailure(failure)}`, exitCodeOf(failure));
}
