/**
 * The embedded runner's old variable names, read for one more release under their RUNNER_*
 * replacements. Before the runner config was shared, `hotswap server --embedded-runner` had its
 * own vocabulary for the same settings; this is the only place those names remain (besides its test).
 * A set RUNNER_* name wins over its old name; every old name that is set yields one message.
 */
import { isSet } from "../../shared/config/env-schema.ts";

/** Old name → the RUNNER_* name that replaces it. */
export const DEPRECATED_RUNNER_NAMES: Readonly<Record<string, string>> = {
  HOTSWAP_RUNNER_ID: "RUNNER_ID",
  HOTSWAP_STEM_POOL_SIZE: "RUNNER_STEMS",
  HOTSWAP_STEM_MEMORY: "RUNNER_STEM_MEMORY_MB",
  HOTSWAP_STEM_RUNTIMES: "RUNNER_STEM_RUNTIMES",
  HOTSWAP_DOCKER_NETWORK: "RUNNER_DOCKER_NETWORK",
  HOTSWAP_RUNTIME_API_HOST: "RUNNER_RUNTIME_API_HOST",
  HOTSWAP_RUNTIME_API_BIND: "RUNNER_RUNTIME_API_BIND",
  // The per-version cap; RUNNER_MAX_INSTANCES is the runner-wide budget, a different setting.
  HOTSWAP_MAX_INSTANCES: "RUNNER_MAX_INSTANCES_PER_VERSION",
};

export interface CurrentNames {
  /** The environment with each old name's value under its new name (unless the new one is set). */
  env: Record<string, string | undefined>;
  /** "HOTSWAP_STEM_POOL_SIZE is deprecated; use RUNNER_STEMS", one per old name that is set. */
  deprecations: string[];
  /** The name to show for a variable in a validation error: the old one when its value came from there. */
  nameOf(name: string): string;
}

export function withCurrentNames(env: Record<string, string | undefined>): CurrentNames {
  const out: Record<string, string | undefined> = { ...env };
  const deprecations: string[] = [];
  const readFrom = new Map<string, string>();
  for (const [old, current] of Object.entries(DEPRECATED_RUNNER_NAMES)) {
    if (!isSet(env, old)) continue;
    if (isSet(env, current)) {
      deprecations.push(`${old} is deprecated; use ${current}. Both are set: ${current} wins and ${old} is ignored`);
      continue;
    }
    deprecations.push(`${old} is deprecated; use ${current}`);
    out[current] = env[old];
    readFrom.set(current, old);
  }
  return {
    env: out,
    deprecations,
    nameOf: (name) => {
      const old = readFrom.get(name);
      return old === undefined ? name : `${old} (deprecated name of ${name})`;
    },
  };
}
