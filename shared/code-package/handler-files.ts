/**
 * Which file a function's handler points to, per runtime family, and the upload-time check that the
 * zip holds it. The rules mirror Lambda's:
 *   node     `dir/module.export` → dir/module.js | .mjs | .cjs | dir/module, a file without extension
 *            loaded as CommonJS (the export may be nested: `index.a.b`)
 *   python   `pkg.mod.func`      → pkg/mod.py | pkg/mod/__init__.py (`/` is accepted in the module path too)
 *   ruby     `dir/file.method` or `dir/file.Module::Class.method` → dir/file.rb
 *   java     `pkg.Class::method` or `pkg.Class` → pkg/Class.class at the root, or any lib/*.jar (or
 *            root *.jar) that may hold it (a jar's contents are not read at upload)
 *   provided a `bootstrap` file at the root; the handler string is only passed on to it.
 */
import { ApiError } from "../../protocol/errors.ts";
import { runtimeFamily, type RuntimeId } from "../../protocol/runtimes.ts";
import { normalizeEntryName } from "./entry-path.ts";
import type { ZipManifest } from "./zip-manifest.ts";

const NODE_EXTENSIONS = [".js", ".mjs", ".cjs"] as const;
const MAX_LISTED_TOP_LEVEL = 20;

/** The candidate files (zip paths) that `handler` can load for `runtime`, most likely first. Throws InvalidHandler when malformed. */
export function handlerFiles(runtime: RuntimeId, handler: string): string[] {
  const family = runtimeFamily(runtime);
  if (family === "provided") return ["bootstrap"];
  if (family === "ruby") {
    const parts = handler.split(".");
    if ((parts.length !== 2 && parts.length !== 3) || parts.some((p) => p === "")) {
      throw malformed(runtime, handler, `"file.method" or "file.Module::Class.method", for example "function.handler" (def handler(event:, context:) in function.rb)`);
    }
    return [`${insideCode(runtime, handler, parts[0])}.rb`];
  }
  if (family === "node") {
    const slash = handler.lastIndexOf("/");
    const base = handler.slice(slash + 1);
    const dot = base.indexOf(".");
    if (dot <= 0 || dot === base.length - 1) {
      throw malformed(runtime, handler, `"file.export", for example "index.handler" (the export handler of index.js)`);
    }
    const module = insideCode(runtime, handler, handler.slice(0, slash + 1) + base.slice(0, dot));
    return [...NODE_EXTENSIONS.map((ext) => module + ext), module];
  }
  if (family === "java") return [javaClassFile(runtime, handler)];
  const dot = handler.lastIndexOf(".");
  const segments = handler.slice(0, Math.max(dot, 0)).replace(/\//g, ".").split(".");
  if (dot <= 0 || dot === handler.length - 1 || segments.some((s) => s === "")) {
    throw malformed(runtime, handler, `"module.function", for example "lambda_function.lambda_handler" (the function lambda_handler in lambda_function.py)`);
  }
  const module = insideCode(runtime, handler, segments.join("/"));
  return [`${module}.py`, `${module}/__init__.py`];
}

/**
 * Throw InvalidHandler unless the zip described by `manifest` holds a file `handler` can load.
 * The message names the files looked for, the zip's top-level files, and the usual cause when the
 * files sit one folder down (the folder was zipped instead of its contents).
 */
export function assertHandlerPresent(manifest: ZipManifest, runtime: RuntimeId, handler: string): void {
  const candidates = handlerFiles(runtime, handler);
  const files = new Set(manifest.entries.filter((e) => !e.isDirectory).map((e) => e.path));
  if (candidates.some((c) => files.has(c))) return;
  if (runtimeFamily(runtime) === "java" && [...files].some((f) => /^(lib\/)?[^/]+\.jar$/.test(f))) return;

  const needs =
    runtimeFamily(runtime) === "provided"
      ? `an executable file named bootstrap at the root of the zip (runtime ${runtime} runs it)`
      : runtimeFamily(runtime) === "java"
        ? `${candidates[0]} in the zip, or a jar under lib/ that holds it (javac -d out ... && cd out && zip -r ../function.zip .)`
        : `${orList(candidates)} in the zip`;
  let message = `Handler ${JSON.stringify(handler)} needs ${needs}; none was found. ${describeTopLevel(manifest)}`;
  const wrapper = wrappingFolder(manifest, candidates, files);
  if (wrapper) {
    message +=
      `. They are inside the folder "${wrapper}/": zip the folder's contents, not the folder ` +
      `(cd ${wrapper} && zip -r ../function.zip .)`;
  }
  throw new ApiError("InvalidHandler", message, { handler, lookedFor: candidates });
}

const JAVA_CLASS = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;
const JAVA_METHOD = /^[A-Za-z_$][\w$]*$/;

/** `com.example.Handler::handleRequest` → com/example/Handler.class (a nested class's file is Outer$Inner.class). */
function javaClassFile(runtime: RuntimeId, handler: string): string {
  const [cls, method, ...rest] = handler.split("::");
  if (!JAVA_CLASS.test(cls ?? "") || rest.length > 0 || (method !== undefined && !JAVA_METHOD.test(method))) {
    throw malformed(runtime, handler, `"package.Class::method" or "package.Class", for example "example.Handler::handleRequest"`);
  }
  return `${cls!.replace(/\./g, "/")}.class`;
}

function malformed(runtime: RuntimeId, handler: string, shape: string): ApiError {
  return new ApiError("InvalidHandler", `Handler ${JSON.stringify(handler)} is not valid for runtime ${runtime}: use ${shape}.`, { handler });
}

/** The module path normalised, or InvalidHandler when it is absolute or climbs out of the code. */
function insideCode(runtime: RuntimeId, handler: string, modulePath: string): string {
  const norm = normalizeEntryName(modulePath);
  if (!norm.ok || norm.path === "" || norm.isDirectory) {
    throw new ApiError(
      "InvalidHandler",
      `Handler ${JSON.stringify(handler)} is not valid for runtime ${runtime}: its module must be a relative path inside the zip.`,
      { handler },
    );
  }
  return norm.path;
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

function topLevel(manifest: ZipManifest): string[] {
  const names = new Set<string>();
  for (const e of manifest.entries) {
    const slash = e.path.indexOf("/");
    names.add(slash === -1 ? (e.isDirectory ? `${e.path}/` : e.path) : `${e.path.slice(0, slash)}/`);
  }
  return [...names].sort();
}

function describeTopLevel(manifest: ZipManifest): string {
  const names = topLevel(manifest);
  if (names.length === 0) return "The zip is empty";
  const shown = names.slice(0, MAX_LISTED_TOP_LEVEL).join(", ");
  const more = names.length > MAX_LISTED_TOP_LEVEL ? ` and ${names.length - MAX_LISTED_TOP_LEVEL} more` : "";
  return `Top-level files: ${shown}${more}`;
}

/** When every entry sits in one top-level folder that holds a candidate, that folder's name. */
function wrappingFolder(manifest: ZipManifest, candidates: readonly string[], files: ReadonlySet<string>): string | undefined {
  const names = topLevel(manifest);
  if (names.length !== 1 || !names[0].endsWith("/")) return undefined;
  const folder = names[0].slice(0, -1);
  return candidates.some((c) => files.has(`${folder}/${c}`)) ? folder : undefined;
}
