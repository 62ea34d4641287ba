/**
 * `hotswap login --url <url> (--key <key> | --token <jwt>)` checks the credential against the API
 * and stores it (0600) for the other commands; `hotswap logout` forgets it. HOTSWAP_URL,
 * HOTSWAP_API_KEY and HOTSWAP_TOKEN override what is stored (credentials.ts).
 */
import type { Command } from "commander";
import { createApiClient } from "../../client/index.ts";
import { removeCredentials, storeCredentials } from "../credentials.ts";
import { apiError, CliError, EXIT } from "../exit-codes.ts";
import { createPrinter } from "../output.ts";

interface LoginOptions {
  url: string;
  key?: string;
  token?: string;
}

export function registerLoginCommands(program: Command): void {
  program
    .command("login")
    .description("check an API key (or JWT) against the API and store it for the other commands")
    .requiredOption("--url <url>", "the control plane's URL, e.g. http://127.0.0.1:8080")
    .option("--key <key>", "an API key, hs_<id>_<secret>")
    .option("--token <jwt>", "a JWT, on servers with HOTSWAP_JWT_* set")
    .action(async (o: LoginOptions, command: Command) => {
      const out = createPrinter(command.optsWithGlobals().json === true);
      if ((o.key === undefined) === (o.token === undefined)) throw new CliError("login needs --key or --token (one of them).", EXIT.usage);
      if (!/^https?:\/\/[^\s]+$/.test(o.url)) throw new CliError(`--url "${o.url}" is not an http:// or https:// URL.`, EXIT.usage);
      const url = o.url.replace(/\/+$/, "");
      const api = createApiClient({ baseUrl: url, apiKey: o.key, token: o.token, timeoutMs: 15_000 });
      // Any authenticated principal gets 200 or 403 here; 401 means the credential is refused.
      const probe = await api.functions.list();
      if (!probe.ok && probe.error.status !== 403) throw apiError(`signing in to ${url}`, probe.error);
      const file = await storeCredentials(process.env, { url, ...(o.key !== undefined ? { apiKey: o.key } : { token: o.token! }) });
      out.result({ url, credentials: file }, () => `Signed in to ${url}; credentials stored in ${file} (mode 0600).`);
      process.exitCode = EXIT.ok;
    });

  program
    .command("logout")
    .description("forget the stored credentials")
    .action(async (_o: unknown, command: Command) => {
      const out = createPrinter(command.optsWithGlobals().json === true);
      const removed = await removeCredentials(process.env);
      out.result({ removed }, () => (removed ? "Signed out; stored credentials removed." : "No stored credentials."));
      process.exitCode = EXIT.ok;
    });
}
