/**
 * A function's `layers` setting ("name:N", merge order) resolved to the layer versions it names,
 * with Lambda's rules: at most 5, no layer twice, each compatible with the function's runtime
 * (an empty compatibleRuntimes means any), and the layers unzipped plus the function's code at
 * most 250 MB. Every refusal names the layer and says what to do.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { MAX_UNZIPPED_CODE_BYTES } from "../../../protocol/limits.ts";
import { MAX_LAYERS_PER_FUNCTION, parseLayerRef } from "../../../protocol/api/layers.ts";
import type { RuntimeId } from "../../../protocol/runtimes.ts";
import type { LayerVersion, LayersRepository, VersionLayer } from "../db/index.ts";

export interface ResolvedLayers {
  /** As a function version snapshots them. */
  layers: VersionLayer[];
  /** Sum of the layers' unzipped sizes. */
  unzippedBytes: number;
}

export function layerNotFound(name: string): ApiError {
  return new ApiError("LayerNotFound", `Layer "${name}" does not exist (or all its versions were deleted). List layers with GET /api/v1/layers, or publish one with POST /api/v1/layers/${name}/versions.`);
}

export function layerVersionNotFound(name: string, version: number): ApiError {
  return new ApiError("LayerVersionNotFound", `Layer "${name}" has no version ${version}. List its versions with GET /api/v1/layers/${name}/versions.`);
}

/**
 * Resolve and check `refs` for a function of `runtime`. `includeDeleted`: a deleted layer
 * version still resolves (publishing a function already configured with it, as Lambda allows);
 * a new configuration may only name live versions.
 */
export async function resolveLayers(
  repo: Pick<LayersRepository, "get" | "list">,
  refs: readonly string[],
  runtime: RuntimeId,
  opts: { includeDeleted?: boolean } = {},
): Promise<ResolvedLayers> {
  if (refs.length > MAX_LAYERS_PER_FUNCTION) {
    throw new ApiError("TooManyLayers", `A function may use at most ${MAX_LAYERS_PER_FUNCTION} layers (as in Lambda); ${refs.length} were given. Merge some layers into one.`);
  }
  const seen = new Set<string>();
  const found: LayerVersion[] = [];
  for (const ref of refs) {
    const { name, version } = parseLayerRef(ref);
    if (seen.has(name)) {
      throw new ApiError("ValidationError", `Layer "${name}" is listed twice; a function may use one version of each layer.`);
    }
    seen.add(name);
    const layer = await repo.get(name, version, { includeDeleted: opts.includeDeleted });
    if (!layer) throw (await repo.list(name)).length === 0 ? layerNotFound(name) : layerVersionNotFound(name, version);
    found.push(layer);
  }
  for (const l of found) {
    if (l.compatibleRuntimes.length > 0 && !l.compatibleRuntimes.includes(runtime)) {
      throw new ApiError(
        "IncompatibleLayerRuntime",
        `Layer "${l.layerName}:${l.version}" is compatible with ${l.compatibleRuntimes.join(", ")}, not ${runtime}. Publish a version of the layer for ${runtime}, or choose another version.`,
      );
    }
  }
  const unzippedBytes = found.reduce((n, l) => n + l.unzippedSize, 0);
  assertFits(unzippedBytes, 0);
  return { layers: found.map((l) => ({ name: l.layerName, version: l.version, codeSha256: l.codeSha256 })), unzippedBytes };
}

/** Throws LayersTooLarge when the layers and the code, unzipped, exceed Lambda's 250 MB. */
export function assertFits(layerBytes: number, codeBytes: number): void {
  if (layerBytes + codeBytes <= MAX_UNZIPPED_CODE_BYTES) return;
  const what = codeBytes > 0 ? `The layers (${layerBytes} bytes unzipped) plus the function's code (${codeBytes} bytes unzipped) come to` : `The layers come to`;
  throw new ApiError(
    "LayersTooLarge",
    `${what} ${layerBytes + codeBytes} bytes; the limit is ${MAX_UNZIPPED_CODE_BYTES} bytes (250 MB) unzipped, as in Lambda. Use fewer or smaller layers.`,
  );
}
