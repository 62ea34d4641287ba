/**
 * How a pool gets a new instance for a version: specialise a prewarmed stem when the StemSource
 * has one (start kind "stem"), else start a fresh one on the backend (start kind "fresh").
 * Both need the version's code directory first, and its merged layer tree when it has layers.
 * A version with layers always starts fresh: what the layers change (NODE_PATH, PYTHONPATH, PATH,
 * LD_LIBRARY_PATH, Docker's /opt binds) is fixed when a process or container starts.
 */
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import type { ExecutionBackend, InitializationType, Instance } from "../backends/backend.ts";
import type { StemSource } from "./pool-types.ts";

export interface LaunchDeps {
  backend: ExecutionBackend;
  codeDir(sha256: string): Promise<string>;
  /** The merged read-only tree of these layer shas, in order (CodeCache.ensureLayers); needed when a spec has layers. */
  layersDir?(layerShas: string[]): Promise<string>;
  stems?: StemSource;
}

export interface Launched {
  instance: Instance;
  kind: "fresh" | "stem";
}

/** Rejects with the backend's InitError / BackendUnavailableError, or the code cache's error. */
export async function launchInstance(spec: FunctionSpec, deps: LaunchDeps, initializationType: InitializationType = "on-demand"): Promise<Launched> {
  const codeDir = await deps.codeDir(spec.codeSha256);
  let layersDir: string | undefined;
  if (spec.layers?.length) {
    if (!deps.layersDir) throw new Error(`${spec.functionName}:${spec.version} has layers, and this runner was given no layer cache`);
    layersDir = await deps.layersDir(spec.layers.map((l) => l.codeSha256));
  }
  const stem = layersDir === undefined ? deps.stems?.take(spec) : undefined;
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
    ...(layersDir !== undefined ? { layersDir } : {}),
    initializationType,
  });
  return { instance, kind: "fresh" };
}
