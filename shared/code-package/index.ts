/**
 * Code packages: the zips users upload as function code.
 * The API calls inspectZip + assertHandlerPresent to validate an upload; the runner calls extractZip
 * once per version. Both read zips through the same checked walker (zip-walk.ts).
 */
export { inspectZip } from "./inspect-zip.ts";
export { extractZip } from "./extract-zip.ts";
export { assertHandlerPresent, handlerFiles } from "./handler-files.ts";
export { DEFAULT_ZIP_LIMITS, type ZipEntryInfo, type ZipLimits, type ZipManifest } from "./zip-manifest.ts";
