/**
 * Versions: publish immutable, numbered code versions. Validates the zip (corruption, zip-slip,
 * size limits) and the handler file before anything is stored. Once a version is routable, the
 * runners are asked to ready its code (download, extract, verify), and publish waits for that a
 * bounded while, so the version's first cold start only loads the module.
 */
import { SECRET_MASK } from "../../../protocol/api/functions.ts";
import { assertSecretsFit } from "./function-secrets.ts";
import { ApiError } from "../../../protocol/errors.ts";
import { MAX_ZIPPED_CODE_BYTES } from "../../../protocol/limits.ts";
import type { RuntimeId } from "../../../protocol/runtimes.ts";
import type { PublishedVersion, VersionView } from "../../../protocol/api/versions.ts";
import type { CodeStore } from "../../../shared/code-store/code-store.ts";
import { inspectZip, assertHandlerPresent } from "../../../shared/code-package/index.ts";
import type { Repositories, Version as VersionRecord } from "../db/index.ts";
import type { RoutingTable } from "../router/routing-table.ts";
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import { functionNotFound, type Actor, type FunctionService } from "./function-service.ts";
import { maskSecrets } from "./function-secrets.ts";
import { assertFits, resolveLayers } from "../layers/layer-refs.ts";

export function toVersionView(v: VersionRecord): VersionView {
  return {
    functionName: v.functionName,
    version: v.version,
    codeSha256: v.codeSha256,
    codeSize: v.codeSize,
    description: v.description,
    runtime: v.runtime,
    handler: v.handler,
    memorySize: v.memorySize,
    timeout: v.timeout,
    environment: v.environment,
    secrets: maskSecrets(v.secrets),
    protocol: v.protocol,
    instanceConcurrency: v.instanceConcurrency,
    layers: v.layers,
    createdAt: new Date(v.createdAt).toISOString(),
  };
}

export function versionNotFound(name: string, version: number | string, status?: number): ApiError {
  return new ApiError(
    "VersionNotFound",
    `Function "${name}" has no version ${version}. List its versions with GET /api/v1/functions/${name}/versions.`,
    undefined,
    status,
  );
}

/** How long publish waits for the runners to ready a new version's code before answering anyway. */
export const PREFETCH_WAIT_MS = 5_000;

export class VersionService {
  /**
   * `prefetch` readies a version's code on the runners (RunnerHandle.prefetch, its failures logged
   * by the caller: the first invocation then fetches the code itself); never rejects.
   */
  constructor(
    private readonly repos: Repositories,
    private readonly functions: FunctionService,
    private readonly codeStore: CodeStore,
    private readonly routing: RoutingTable,
    private readonly prefetch?: (spec: FunctionSpec) => Promise<void>,
  ) {}

  /**
   * Store the zip and snapshot the function's configuration as its next version. `environment`
   * (the JSON publish body's) is laid over the function's environment for this version only.
   */
  async publish(name: string, zip: Buffer, description: string, actor: Actor, environment?: Record<string, string>): Promise<PublishedVersion> {
    const fn = await this.functions.require(name);
    if (environment) assertSecretsFit({ ...fn.environment, ...environment }, Object.fromEntries(Object.keys(fn.secrets).map((k) => [k, SECRET_MASK])));
    if (zip.length === 0) {
      throw new ApiError("InvalidZip", "The code is empty. Upload a zip archive of your function, e.g. made with `zip -r function.zip .`.");
    }
    if (zip.length > MAX_ZIPPED_CODE_BYTES) {
      throw new ApiError("CodeTooLarge", `The zip is ${zip.length} bytes; the limit is ${MAX_ZIPPED_CODE_BYTES} bytes (50 MB) zipped.`);
    }
    const manifest = await inspectZip(zip);
    assertHandlerPresent(manifest, fn.runtime as RuntimeId, fn.handler);
    // The function's layers as configured; a version deleted since still runs (Lambda's rule).
    const layers = await resolveLayers(this.repos.layers, fn.layers, fn.runtime as RuntimeId, { includeDeleted: true });
    assertFits(layers.unzippedBytes, manifest.totalUncompressed);
    const stored = await this.codeStore.put(zip);
    const version = await this.repos.versions.publish(name, {
      codeSha256: stored.sha256,
      codeSize: stored.size,
      codeLocation: stored.location,
      description,
      ...(environment ? { environment } : {}),
      layers: layers.layers,
    });
    if (!version) throw functionNotFound(name);
    await this.repos.auditLogs.append({
      actor: actor.id,
      action: "version.publish",
      resourceType: "function",
      resourceId: name,
      before: null,
      after: toVersionView(version),
      requestId: actor.requestId ?? null,
    });
    await this.routing.invalidate(name);
    await this.readyCode(name, version.version);
    return { version: version.version, codeSha256: version.codeSha256, codeSize: version.codeSize };
  }

  /** Have the runners ready the version's code, waiting at most PREFETCH_WAIT_MS (a large package keeps extracting after that). */
  private async readyCode(name: string, version: number): Promise<void> {
    const spec = this.routing.spec(name, version);
    if (!this.prefetch || !spec) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, PREFETCH_WAIT_MS).unref()));
    await Promise.race([this.prefetch(spec), bound]);
    clearTimeout(timer);
  }

  async list(name: string) {
    await this.functions.require(name);
    return (await this.repos.versions.list(name)).map(toVersionView);
  }

  async get(name: string, version: number) {
    await this.functions.require(name);
    const v = await this.repos.versions.get(name, version);
    if (!v) throw versionNotFound(name, version);
    return toVersionView(v);
  }
}
