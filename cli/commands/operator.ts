/**
 * The operator's commands, run on the platform's hosts: `server [--embedded-runner]`, `runner`,
 * `admin reset-key [--key-id]`, `secrets rotate-key` and `version`. Each delegates to its module
 * (loaded only when it runs) and sets the exit code it returns.
 */
import type { Command } from "commander";
import pkg from "../../package.json" with { type: "json" };

/** The operator commands' names: with one of these first on the command line, main.ts loads nothing else. */
export const OPERATOR_COMMANDS: readonly string[] = ["server", "runner", "admin", "secrets", "version"];

export function registerOperatorCommands(program: Command): void {
  program
    .command("server")
    .description("run the control plane (npm start runs it with --embedded-runner)")
    .option("--embedded-runner", "execute functions in this process's children instead of routing to the fleet of `hotswap runner` processes (REDIS_URL)")
    .addHelpText("after", "\nConfiguration comes from the environment; see the README's configuration tables.")
    .action(async (o: { embeddedRunner?: boolean }, command: Command) => {
      const { runServerCommand } = await import("../server-command.ts");
      process.exitCode = await runServerCommand(o.embeddedRunner ? ["--embedded-runner"] : [], process.env, command.helpInformation());
    });

  program
    .command("runner")
    .description("run a runner agent: it registers through Redis, heartbeats, and executes the invocations control planes route to it")
    .addHelpText("after", "\nSettings come from the environment: HOTSWAP_CLUSTER_SECRET, REDIS_URL, RUNNER_ID, RUNNER_POOL, RUNNER_LABELS,\nRUNNER_MEMORY_MB, RUNNER_MAX_INSTANCES, RUNNER_BACKEND, RUNNER_LISTEN, ... (see the README's runner configuration table).")
    .action(async () => {
      const { runRunnerCommand } = await import("../runner-command.ts");
      process.exitCode = await runRunnerCommand([], process.env);
    });

  const admin = program.command("admin").description("offline administration of the platform's store");
  admin
    .command("reset-key")
    .description("recover a lost admin key: revoke the active admin keys (or --key-id) and print a new one")
    .option("--key-id <id>", "revoke only this admin key")
    .addHelpText("after", "\nReads the server's configuration (HOTSWAP_DATA_DIR, DATABASE_URL, HOTSWAP_SECRET_KEY...). With the embedded database, stop the server first.")
    .action(async (o: { keyId?: string }) => {
      const { runAdminCommand } = await import("../admin-command.ts");
      process.exitCode = await runAdminCommand(["reset-key", ...(o.keyId !== undefined ? ["--key-id", o.keyId] : [])], process.env);
    });

  const secrets = program.command("secrets").description("offline management of the key that seals secrets at rest");
  secrets
    .command("rotate-key")
    .description("re-seal every stored secret under a new key (see the README)")
    .addHelpText("after", "\nWith the key file (<data dir>/secret.key) a new key is generated and put first; with HOTSWAP_SECRET_KEY, set the new key there\nand the old one in HOTSWAP_PREVIOUS_SECRET_KEYS first. With the embedded database, stop the server first.")
    .action(async () => {
      const { runSecretsCommand } = await import("../secrets-command.ts");
      process.exitCode = await runSecretsCommand(["rotate-key"], process.env);
    });

  program
    .command("version")
    .description("print the version")
    .action(() => {
      process.stdout.write(`hotswap ${pkg.version}\n`);
      process.exitCode = 0;
    });
}
