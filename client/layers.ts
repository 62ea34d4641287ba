/** /api/v1/layers: publish immutable layer versions from a zip, list layers and versions, read and delete a version. */
import type { CallOptions, Transport } from "./transport.ts";

export interface PublishLayerOptions extends CallOptions {
  /** Runtime ids the layer works with (e.g. ["nodejs20"]); omitted or empty: any runtime. */
  compatibleRuntimes?: string[];
  description?: string;
}

export function layersEndpoints(t: Transport) {
  const path = (name?: string, version?: number) =>
    `/api/v1/layers${name === undefined ? "" : `/${encodeURIComponent(name)}/versions${version === undefined ? "" : `/${version}`}`}`;
  return {
    /**
     * POST /api/v1/layers/{name}/versions with the zip as `application/zip`: 201 with the new
     * layer version. InvalidZip, UnsafeZipEntry, CodeTooLarge, UnknownRuntime (400).
     */
    publish: (name: string, zip: Uint8Array, opts: PublishLayerOptions = {}) =>
      t.request(
        {
          method: "POST",
          path: path(name),
          query: { compatibleRuntimes: opts.compatibleRuntimes?.length ? opts.compatibleRuntimes.join(",") : undefined, description: opts.description },
          body: { bytes: zip, contentType: "application/zip" },
        },
        "LayerVersion",
        opts,
      ),
    /** GET /api/v1/layers: every layer with its latest version. */
    list: (opts?: CallOptions) => t.request({ method: "GET", path: path() }, "LayerList", opts),
    /** GET /api/v1/layers/{name}/versions, newest first. LayerNotFound (404). */
    versions: (name: string, opts?: CallOptions) => t.request({ method: "GET", path: path(name) }, "LayerVersionList", opts),
    /** GET /api/v1/layers/{name}/versions/{version}. LayerNotFound, LayerVersionNotFound (404). */
    get: (name: string, version: number, opts?: CallOptions) => t.request({ method: "GET", path: path(name, version) }, "LayerVersion", opts),
    /** DELETE /api/v1/layers/{name}/versions/{version}: 204; function versions using it keep running it. */
    delete: (name: string, version: number, opts?: CallOptions) => t.request({ method: "DELETE", path: path(name, version) }, null, opts),
  };
}
