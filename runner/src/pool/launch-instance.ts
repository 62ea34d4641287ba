/**
 * How a pool gets a new instance for a version: specialise a prewarmed stem when the StemSource
 * has one (start kind "stem"), else start a fresh one on the backend (start kind "fresh").
 * Both need the version's code directory first.
 */
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import type { ExecutionBackend, InitializationType, Instance } from "../backends/backend.ts";
import type { StemSource } from "./pool-types.ts";

export interface LaunchDeps {
  backend: ExecutionBackend;
  codeDir(sha256: string): Promise<string>;
  stems?: StemSource;
}

export interface Launched {
  instance: Instance;
  kind: "fresh" | "stem";
}

/** Rejects with the backend's InitError / BackendUnavailableError, or the code cache's error. */
export async function launchInstance(spec: FunctionSpec, deps: LaunchDeps, initializationType: InitializationType = "on-demand"): Promise<Launched> {
  const codeDir = await deps.codeDir(spec.codeSha256);
  const stem = deps.stems?.take(spec);
  if (stem !== undefined) {
    try {
      await stem.specialise(spec, codeDir, { initializationType });
    } catch (err) {
      stem.kill("killed"); // a stem that failed to load the code is spent
      throw err;
    }
    return { instance: stem, kind: "stem" };
  }
  const instance = await deps.backend.start({
    runtime: spec.runtime,
    protocol: spec.protocol,
    memorySize: spec.memorySize,
    spec,
    codeDir,
    initializationType,
  });
  return { instance, kind: "fresh" };
}
