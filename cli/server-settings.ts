/**
 * Everything `hotswap server` reads from the environment: the control plane's settings
 * (platform/src/config.ts) and those of the runner it may host (runner/src/config.ts, embedded
 * mode), validated together so one start names every invalid field of both at once.
 */
import { ConfigError, loadConfig, type Config } from "../platform/src/config.ts";
import { loadRunnerConfig, RunnerConfigError, type RunnerNodeConfig } from "../runner/src/config.ts";

export interface ServerSettings {
  control: Config;
  /** The embedded runner's settings; in fleet mode only its RUNNER_BACKEND is used (GET /api/v1/runtimes names it). */
  runner: RunnerNodeConfig;
}

/** Throws a ConfigError listing the issues of both modules. `hostname` makes the default runner id `embedded-<hostname>`. */
export function loadServerSettings(env: Record<string, string | undefined>, host: { hostname: string }): ServerSettings {
  const issues: string[] = [];
  let control: Config | undefined;
  let runner: RunnerNodeConfig | undefined;
  try {
    control = loadConfig(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    issues.push(...e.issues);
  }
  try {
    runner = loadRunnerConfig(env, { hostname: host.hostname, mode: "embedded" });
  } catch (e) {
    if (!(e instanceof RunnerConfigError)) throw e;
    issues.push(...e.issues);
  }
  if (!control || !runner) throw new ConfigError(issues);
  return { control, runner };
}
