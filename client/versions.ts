/** /api/v1/functions/{name}/versions: publish an immutable version from a zip, list and read them. */
import type { CallOptions, Transport } from "./transport.ts";

export function versionsEndpoints(t: Transport) {
  const path = (name: string) => `/api/v1/functions/${encodeURIComponent(name)}/versions`;
  return {
    /**
     * POST /api/v1/functions/{name}/versions with the zip as `application/zip`: 201 with the version
     * number and the code's sha256 and size. InvalidZip, InvalidHandler, CodeTooLarge (400), FunctionNotFound (404).
     */
    publish: (name: string, zip: Uint8Array, opts: CallOptions & { description?: string } = {}) =>
      t.request(
        { method: "POST", path: path(name), query: { description: opts.description }, body: { bytes: zip, contentType: "application/zip" } },
        "PublishedVersion",
        opts,
      ),
    /** GET /api/v1/functions/{name}/versions. */
    list: (name: string, opts?: CallOptions) => t.request({ method: "GET", path: path(name) }, "VersionList", opts),
    /** GET /api/v1/functions/{name}/versions/{version}. VersionNotFound (404). */
    get: (name: string, version: number, opts?: CallOptions) => t.request({ method: "GET", path: `${path(name)}/${version}` }, "Version", opts),
  };
}
