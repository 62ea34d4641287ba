/**
 * Loads a Lambda-style handler (`path/to/module.export`) from a task root, the way AWS's Node.js
 * runtime does: CommonJS through require, ESM through import(), decided by the file extension and
 * the nearest package.json "type". Every failure becomes an InitFailure with AWS's error type and
 * a message precise enough for the user to fix the function without reading runtime code.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * A handler that cannot be loaded. Serialised as the `initError` body / Runtime API init error, in
 * the document AWS's Node.js runtime posts: `{errorType, errorMessage, trace}`.
 */
export class InitFailure extends Error {
  /**
   * @param {string} errorType e.g. Runtime.ImportModuleError
   * @param {string} message what went wrong and where
   * @param {string[]} [trace] stack lines
   */
  constructor(errorType, message, trace) {
    super(message);
    this.errorType = errorType;
    this.trace = trace ?? [`${errorType}: ${message}`];
  }

  toPayload() {
    return { errorType: this.errorType, errorMessage: this.message, trace: this.trace };
  }
}

/**
 * Split `src/app.handler` into the module path (`src/app`) and the export path (`handler`).
 * Like AWS, only the last path segment is split on its first dot, so `lib.v2/app.handler` works
 * and `index.a.b` means the nested property `a.b` of module `index`.
 */
export function parseHandler(handlerString) {
  const base = path.posix.basename(handlerString);
  const dir = handlerString.slice(0, handlerString.length - base.length);
  const dot = base.indexOf(".");
  if (dot <= 0 || dot === base.length - 1) {
    throw new InitFailure(
      "Runtime.MalformedHandlerName",
      `Bad handler "${handlerString}": expected <module>.<export>, for example "index.handler" or "src/app.handler"`,
    );
  }
  return { modulePath: dir + base.slice(0, dot), exportPath: base.slice(dot + 1) };
}

/** Nearest package.json "type" decides whether a `.js` file is ESM (Node's own rule). */
function isEsmPackage(file) {
  let dir = path.dirname(file);
  for (;;) {
    const pj = path.join(dir, "package.json");
    if (existsSync(pj)) {
      try {
        return JSON.parse(readFileSync(pj, "utf8")).type === "module";
      } catch {
        return false;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

function isFile(p) {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Turn a load-time exception into the init error AWS's Node.js runtime reports: a syntax error is
 * Runtime.UserCodeSyntaxError and a missing module Runtime.ImportModuleError, both with the
 * original error as their message ("SyntaxError: …", "Error: Cannot find module …"); anything
 * else thrown by the module's top-level code keeps its own type and message.
 */
function classifyLoadError(err) {
  if (err instanceof InitFailure) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const stack = typeof e.stack === "string" ? e.stack.split("\n") : [];
  if (e instanceof SyntaxError || e.name === "SyntaxError") return wrapped("Runtime.UserCodeSyntaxError", e, stack);
  const code = /** @type {any} */ (e).code;
  if (code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND") return wrapped("Runtime.ImportModuleError", e, stack);
  return new InitFailure(e.name || "Error", e.message, stack);
}

/** A Runtime.* error around the original one, as `new ImportModuleError(e)` in AWS's runtime. */
function wrapped(errorType, e, stack) {
  const message = String(e);
  return new InitFailure(errorType, message, [`${errorType}: ${message}`, ...stack.slice(1)]);
}

/**
 * Find the file for a module path, AWS order: exact file, `.js`, `.mjs`, `.cjs`.
 * @returns {{file: string, esm: boolean} | undefined}
 */
function resolveModuleFile(base) {
  if (isFile(base)) return { file: base, esm: base.endsWith(".mjs") };
  if (isFile(base + ".js")) return { file: base + ".js", esm: isEsmPackage(base + ".js") };
  if (isFile(base + ".mjs")) return { file: base + ".mjs", esm: true };
  if (isFile(base + ".cjs")) return { file: base + ".cjs", esm: false };
  return undefined;
}

/**
 * Load the handler function named by `handlerString` from `taskRoot`.
 * @returns {Promise<Function>}
 * @throws {InitFailure}
 */
export async function loadHandler(taskRoot, handlerString) {
  const { modulePath, exportPath } = parseHandler(handlerString);
  const root = path.resolve(taskRoot);
  const base = path.resolve(root, modulePath);
  if (base !== root && !base.startsWith(root + path.sep)) {
    throw new InitFailure("Runtime.MalformedHandlerName", `Bad handler "${handlerString}": the module must be inside the code directory`);
  }
  const require = createRequire(path.join(root, "__hotswap_loader__.js"));
  let mod;
  try {
    const found = resolveModuleFile(base);
    if (found) {
      mod = found.esm ? await import(pathToFileURL(found.file).href) : require(found.file);
    } else {
      // Last resort, as AWS: a package in node_modules or a directory with an index file.
      let resolved;
      try {
        resolved = require.resolve(modulePath.startsWith(".") ? modulePath : `./${modulePath}`);
      } catch {
        try {
          resolved = require.resolve(modulePath, { paths: [root] });
        } catch {
          throw new InitFailure(
            "Runtime.ImportModuleError",
            `Error: Cannot find module '${modulePath}'\nLooked for ${modulePath}.js, ${modulePath}.mjs and ${modulePath}.cjs in ${root} (handler "${handlerString}")`,
          );
        }
      }
      mod = resolved.endsWith(".mjs") || (resolved.endsWith(".js") && isEsmPackage(resolved))
        ? await import(pathToFileURL(resolved).href)
        : require(resolved);
    }
  } catch (err) {
    throw classifyLoadError(err);
  }
  let fn = mod;
  for (const key of exportPath.split(".")) fn = fn == null ? undefined : fn[key];
  // AWS's wording, with the handler string as configured.
  if (!fn) throw new InitFailure("Runtime.HandlerNotFound", `${handlerString} is undefined or not exported`);
  if (typeof fn !== "function") throw new InitFailure("Runtime.HandlerNotFound", `${handlerString} is not a function`);
  return fn;
}
