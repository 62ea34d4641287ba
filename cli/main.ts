/**
 * The `hotswap` command line.
 *   hotswap server [--embedded-runner]   control plane (npm start runs this with the embedded runner)
 *   hotswap runner                       a runner agent of the fleet (see runner/src/main.ts)
 *   hotswap version
 * Exit codes: 0 ok, 1 invalid configuration or start-up failure, 2 usage error.
 */
import { loadConfig, ConfigError } from "../platform/src/config.ts";
import { createLogger } from "../shared/logger.ts";
import pkg from "../package.json" with { type: "json" };

const USAGE = `Usage: hotswap <command> [options]

Commands:
  server [--embedded-runner]   Run the control plane. With --embedded-runner (what npm start
                               uses) it executes functions in this process's children; without
                               it, it routes invocations to the fleet of \`hotswap runner\`
                               processes registered in Redis (REDIS_URL is required).
  runner                       Run a runner agent: it registers through Redis, heartbeats, and
                               executes the invocations the control planes route to it.
  version                      Print the version.

Configuration comes from the environment; see the README's configuration table.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "server":
      return runServer(rest);
    case "runner": {
      const { runRunnerCommand } = await import("../runner/src/main.ts");
      return runRunnerCommand(rest, process.env);
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

async function runServer(args: string[]): Promise<number> {
  for (const a of args) {
    if (a !== "--embedded-runner") {
      process.stderr.write(`hotswap server: unknown option "${a}"\n\n${USAGE}\n`);
      return 2;
    }
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`hotswap: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  const started = Date.now();
  const { startServer } = await import("../platform/src/server.ts");
  let server;
  try {
    server = await startServer(config, log, { runners: args.includes("--embedded-runner") ? "embedded" : "fleet" });
  } catch (e) {
    log.fatal({ err: e }, "start-up failed");
    process.stderr.write(`hotswap: start-up failed: ${(e as Error).message}\n`);
    return 1;
  }
  const lines = [`HotSwap ${pkg.version} is serving on ${server.url} (started in ${Date.now() - started} ms)`, `  API docs: ${server.url}/docs`];
  if (server.createdAdminKey) {
    lines.push(
      "",
      "  Admin API key (shown once; store it now):",
      `    ${server.createdAdminKey}`,
      "",
      `  Try: curl -H "Authorization: Bearer ${server.createdAdminKey}" ${server.url}/api/v1/functions`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);

  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        process.stderr.write(`hotswap: second ${sig}, exiting now\n`);
        process.exit(130);
      }
      log.info({ signal: sig }, "signal received");
      server.close().then(resolve, (e) => {
        log.error({ err: e }, "shutdown failed");
        resolve();
      });
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`hotswap: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
