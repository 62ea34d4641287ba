/**
 * Layers: publish immutable, numbered layer versions from a zip (the same safety checks as
 * function code: corruption, zip-slip, size limits), list, read and delete them. A deleted
 * version disappears from the API and can no longer be added to a function, but function
 * versions published with it keep running it and its code stays in the store while they exist
 * (Lambda's rule); the code collector frees it afterwards.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { MAX_ZIPPED_CODE_BYTES } from "../../../protocol/limits.ts";
import type { LayerVersionView } from "../../../protocol/api/layers.ts";
import type { CodeStore } from "../../../shared/code-store/code-store.ts";
import { inspectZip } from "../../../shared/code-package/index.ts";
import type { LayerVersion, Repositories } from "../db/index.ts";
import { assertRuntime, type Actor } from "../functions/function-service.ts";
import { layerNotFound, layerVersionNotFound } from "./layer-refs.ts";

/** /opt/hotswap holds HotSwap's runtime in its images; a layer may not shadow it. */
const RESERVED_TOP_LEVEL = "hotswap";

export function toLayerVersionView(v: LayerVersion): LayerVersionView {
  return {
    layerName: v.layerName,
    version: v.version,
    codeSha256: v.codeSha256,
    codeSize: v.codeSize,
    unzippedSize: v.unzippedSize,
    compatibleRuntimes: v.compatibleRuntimes,
    description: v.description,
    createdAt: new Date(v.createdAt).toISOString(),
  };
}

export interface PublishLayerInput {
  zip: Buffer;
  compatibleRuntimes: readonly string[];
  description: string;
}

export class LayerService {
  constructor(
    private readonly repos: Pick<Repositories, "layers" | "auditLogs">,
    private readonly codeStore: Pick<CodeStore, "put">,
  ) {}

  /** Check the zip and the runtimes, store the zip, and number the new version. */
  async publish(name: string, input: PublishLayerInput, actor: Actor): Promise<LayerVersionView> {
    const runtimes = [...new Set(input.compatibleRuntimes.map((r) => assertRuntime(r)))];
    const { zip } = input;
    if (zip.length === 0) {
      throw new ApiError("InvalidZip", "The layer is empty. Upload a zip whose top-level directories are what lands in /opt (nodejs/, python/, bin/, lib/...).");
    }
    if (zip.length > MAX_ZIPPED_CODE_BYTES) {
      throw new ApiError("CodeTooLarge", `The zip is ${zip.length} bytes; the limit is ${MAX_ZIPPED_CODE_BYTES} bytes (50 MB) zipped.`);
    }
    const manifest = await inspectZip(zip);
    if (manifest.entries.some((e) => e.path.split("/")[0] === RESERVED_TOP_LEVEL)) {
      throw new ApiError("InvalidZip", `A layer may not contain a top-level "${RESERVED_TOP_LEVEL}/": /opt/${RESERVED_TOP_LEVEL} holds HotSwap's runtime. Move those files under another directory.`);
    }
    const stored = await this.codeStore.put(zip);
    const version = await this.repos.layers.publish(name, {
      codeSha256: stored.sha256,
      codeSize: stored.size,
      unzippedSize: manifest.totalUncompressed,
      codeLocation: stored.location,
      compatibleRuntimes: runtimes,
      description: input.description,
    });
    const view = toLayerVersionView(version);
    await this.audit(actor, "layer.publish", name, null, view);
    return view;
  }

  /** Every layer with a live version, each with its newest one. */
  async list(): Promise<{ layerName: string; latestVersion: LayerVersionView }[]> {
    return (await this.repos.layers.listLatest()).map((v) => ({ layerName: v.layerName, latestVersion: toLayerVersionView(v) }));
  }

  async versions(name: string): Promise<LayerVersionView[]> {
    const all = await this.repos.layers.list(name);
    if (all.length === 0) throw layerNotFound(name);
    return all.map(toLayerVersionView);
  }

  async get(name: string, version: number): Promise<LayerVersionView> {
    const v = await this.repos.layers.get(name, version);
    if (!v) throw (await this.repos.layers.list(name)).length === 0 ? layerNotFound(name) : layerVersionNotFound(name, version);
    return toLayerVersionView(v);
  }

  /** Delete a version; function versions published with it keep running it. */
  async delete(name: string, version: number, actor: Actor): Promise<void> {
    const before = await this.get(name, version);
    if (!(await this.repos.layers.delete(name, version))) throw layerVersionNotFound(name, version);
    await this.audit(actor, "layer.delete", name, before, null);
  }

  private async audit(actor: Actor, action: string, name: string, before: unknown, after: unknown) {
    await this.repos.auditLogs.append({ actor: actor.id, action, resourceType: "layer", resourceId: name, before, after, requestId: actor.requestId ?? null });
  }
}
