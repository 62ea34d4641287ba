/**
 * `hotswap server [--embedded-runner]`: reads the control plane's and the runner's settings,
 * warns once about deprecated variable names, starts the control plane (hosting a runner node in
 * this process with --embedded-runner, else routing to the fleet), prints where it serves and the
 * admin key it created, and drains on SIGTERM/SIGINT (a second signal exits at once). A shutdown
 * always ends: past HOTSWAP_SHUTDOWN_GRACE and a short margin it is forced (shutdown-deadline.ts).
 * Returns the process exit code: 0 after a clean shutdown, 1 on invalid configuration, a failed
 * start or a shutdown that failed or had to be forced, 2 on a usage error.
 */
import { hostname } from "node:os";
import { ConfigError } from "../platform/src/config.ts";
import { createLogger } from "../shared/logger.ts";
import { loadServerSettings, type ServerSettings } from "./server-settings.ts";
import { embeddedRunner } from "./embedded-runner.ts";
import { stopOnSignal } from "./shutdown-on-signal.ts";
import pkg from "../package.json" with { type: "json" };

export async function runServerCommand(args: string[], env: Record<string, string | undefined>, usage: string): Promise<number> {
  // Everything the server writes (PGlite files, secret.key, code) is its own: nobody else may read it.
  process.umask(0o077);
  for (const a of args) {
    if (a !== "--embedded-runner") {
      process.stderr.write(`hotswap server: unknown option "${a}"\n\n${usage}\n`);
      return 2;
    }
  }
  const embedded = args.includes("--embedded-runner");
  let settings: ServerSettings;
  try {
    settings = loadServerSettings(env, { hostname: hostname() });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`hotswap: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const { control: config, runner } = settings;
  // The old names only ever configured the embedded runner; a fleet control plane does not use them.
  if (embedded) for (const d of runner.deprecations) process.stderr.write(`hotswap: warning: ${d}\n`);
  const log = createLogger(config.logLevel);
  const started = Date.now();
  const { startServer } = await import("../platform/src/server.ts");
  let server;
  try {
    server = await startServer(config, log, embedded ? embeddedRunner(runner, log) : { runners: "fleet", backend: runner.backend });
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

  const running = server;
  return stopOnSignal({
    name: "hotswap",
    what: "shutdown",
    graceMs: config.shutdownGraceMs,
    log,
    stop: () => running.close(),
    step: () => running.closingStep(),
  });
}
