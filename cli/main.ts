/**
 * The `hotswap` command line, dispatching to one module per command:
 *   hotswap server [--embedded-runner]   control plane (npm start runs this with the embedded runner; server-command.ts)
 *   hotswap runner                       a runner agent of the fleet (runner-command.ts)
 *   hotswap admin reset-key              revoke lost admin keys, print a new one (admin-command.ts)
 *   hotswap secrets rotate-key           re-seal every secret under a new key (secrets-command.ts)
 *   hotswap version
 * cli/ is the one composition of platform/ and runner/ (embedded-runner.ts); they never import each other.
 * Exit codes: 0 ok, 1 invalid configuration or start-up failure, 2 usage error.
 */
import pkg from "../package.json" with { type: "json" };

const USAGE = `Usage: hotswap <command> [options]

Commands:
  server [--embedded-runner]   Run the control plane. With --embedded-runner (what npm start
                               uses) it executes functions in this process's children; without
                               it, it routes invocations to the fleet of \`hotswap runner\`
                               processes registered in Redis (REDIS_URL is required).
  runner                       Run a runner agent: it registers through Redis, heartbeats, and
                               executes the invocations the control planes route to it.
  admin reset-key [--key-id <id>]
                               Offline recovery of a lost admin key: revoke the active admin
                               keys (or <id>) and print a new one.
  secrets rotate-key           Re-seal every stored secret under a new key (see the README).
  version                      Print the version.

Configuration comes from the environment; see the README's configuration tables.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "server": {
      const { runServerCommand } = await import("./server-command.ts");
      return runServerCommand(rest, process.env, USAGE);
    }
    case "runner": {
      const { runRunnerCommand } = await import("./runner-command.ts");
      return runRunnerCommand(rest, process.env);
    }
    case "admin": {
      const { runAdminCommand } = await import("./admin-command.ts");
      return runAdminCommand(rest, process.env);
    }
    case "secrets": {
      const { runSecretsCommand } = await import("./secrets-command.ts");
      return runSecretsCommand(rest, process.env);
    }
    case "version":
    case "--version":
      process.stdout.write(`hotswap ${pkg.version}\n`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`hotswap: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`hotswap: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
