/**
 * The `hotswap` command line, built with commander; one module per command group under commands/:
 *   operator.ts   server [--embedded-runner], runner, admin reset-key, secrets rotate-key, version
 *   login.ts      login, logout (credentials.ts stores them)
 *   functions.ts, versions.ts, aliases.ts, deploy.ts, invoke.ts, logs.ts, rollouts.ts, triggers.ts,
 *   runners.ts, keys.ts: client commands over the typed API client (client/), via command-kit.ts,
 *                 registered by client.ts, which is not loaded for an operator command
 * cli/ is the one composition of platform/ and runner/ (embedded-runner.ts); they never import each other.
 * Exit codes: exit-codes.ts (documented in `hotswap --help`).
 */
import { Command, CommanderError } from "commander";
import pkg from "../package.json" with { type: "json" };
import { CliError, EXIT, EXIT_CODES_HELP } from "./exit-codes.ts";
import { OPERATOR_COMMANDS, registerOperatorCommands } from "./commands/operator.ts";

const ENVIRONMENT_HELP = `Client commands call the API at the URL stored by \`hotswap login\` (in $XDG_CONFIG_HOME/hotswap or
~/.config/hotswap); HOTSWAP_URL, HOTSWAP_API_KEY and HOTSWAP_TOKEN override it. Add --json to any of them
for the API's own objects as JSON. Operator commands (server, runner, admin, secrets) read their
configuration from the environment; see the README's configuration tables.`;

/** The program for `argv`: an operator command loads only the operator commands (a server or runner process never loads the client). */
async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command("hotswap")
    .description(`HotSwap ${pkg.version}: a self-hosted serverless function platform`)
    .version(`hotswap ${pkg.version}`, "--version", "print the version")
    .option("--json", "print the API's objects as JSON (client commands)")
    .configureHelp({ showGlobalOptions: true })
    .addHelpText("after", `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODES_HELP}`)
    .showSuggestionAfterError();
  program.commandsGroup("Operator commands:");
  registerOperatorCommands(program);
  if (!OPERATOR_COMMANDS.includes(argv[0] ?? "")) {
    program.commandsGroup("Client commands:");
    (await import("./commands/client.ts")).registerClientCommands(program);
  }
  // Every command (and subcommand) throws instead of exiting, so main() owns the exit code.
  const override = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the command line; the process's exit code. */
async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.usage;
  }
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`hotswap: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof CommanderError) {
      // Commander printed the help or the error already.
      return ["commander.helpDisplayed", "commander.version"].includes(e.code) ? EXIT.ok : EXIT.usage;
    }
    throw e;
  }
  return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`hotswap: ${(e as Error).stack ?? e}\n`);
    process.exit(EXIT.error);
  },
);
