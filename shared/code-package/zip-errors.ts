/**
 * The ApiErrors a code package can be rejected with. Messages say what was wrong and how to fix it.
 */
import { ApiError } from "../../protocol/errors.ts";

const ZIP_HOWTO = "The upload must be a zip archive, for example made with `zip -r function.zip .` inside the function's directory";

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1).replace(/\.0$/, "")} KB`;
  return `${n} bytes`;
}

export function invalidZip(detail: string): ApiError {
  return new ApiError("InvalidZip", `${ZIP_HOWTO}; this one could not be read: ${detail.replace(/[.\s]+$/, "")}.`);
}

/** `why` completes the sentence `Zip entry "<name>" …`; `about` picks the advice that follows. */
export function unsafeEntry(name: string, why: string, about: "path" | "symlink" = "path"): ApiError {
  const advice =
    about === "symlink"
      ? "Symlinks must point to a path inside the zip; replace this one with a copy of its target (zip without --symlinks)."
      : "Every entry must be a relative path that stays inside the function's code; " +
        "build the zip from inside the function's directory (`cd my-function && zip -r ../function.zip .`).";
  return new ApiError("UnsafeZipEntry", `Zip entry ${JSON.stringify(name)} ${why}. ${advice}`, { entry: name });
}

export function codeTooLarge(message: string): ApiError {
  return new ApiError("CodeTooLarge", message);
}

export function zippedTooLarge(size: number, max: number): ApiError {
  return codeTooLarge(`The zip is ${formatBytes(size)}; the limit is ${formatBytes(max)}. Remove files the function does not need and zip again.`);
}

export function unzippedTooLarge(max: number, what: string): ApiError {
  return codeTooLarge(
    `Unzipped code ${what}; the limit is ${formatBytes(max)}. Remove files the function does not need (for example devDependencies or tests) and zip again.`,
  );
}
