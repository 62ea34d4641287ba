/**
 * handlerFiles and assertHandlerPresent for each runtime family.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../../protocol/errors.ts";
import type { RuntimeId } from "../../protocol/runtimes.ts";
import { assertHandlerPresent, handlerFiles } from "./handler-files.ts";
import { inspectZip } from "./inspect-zip.ts";
import type { ZipManifest } from "./zip-manifest.ts";
import { text, unixFile, zip } from "../../tests/support/zip-fixtures.ts";

function manifest(paths: string[]): ZipManifest {
  return {
    entries: paths.map((p) => ({ path: p.replace(/\/$/, ""), size: 1, isDirectory: p.endsWith("/"), isSymlink: false, mode: 0o644 })),
    totalUncompressed: paths.length,
  };
}

function invalidHandler(fn: () => unknown, message: RegExp | string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, "InvalidHandler");
    assert.equal(e.status, 400);
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe("handlerFiles", () => {
  it("maps node handlers to module.{js,mjs,cjs}, with directories and nested exports", () => {
    assert.deepEqual(handlerFiles("nodejs20", "index.handler"), ["index.js", "index.mjs", "index.cjs", "index"]);
    assert.deepEqual(handlerFiles("nodejs22", "src/app.main"), ["src/app.js", "src/app.mjs", "src/app.cjs", "src/app"]);
    assert.deepEqual(handlerFiles("nodejs20", "index.handlers.get"), ["index.js", "index.mjs", "index.cjs", "index"]);
    assert.deepEqual(handlerFiles("nodejs20", "my.dir/app.h"), ["my.dir/app.js", "my.dir/app.mjs", "my.dir/app.cjs", "my.dir/app"]);
    assert.deepEqual(handlerFiles("nodejs20", "./lib/app.h"), ["lib/app.js", "lib/app.mjs", "lib/app.cjs", "lib/app"]);
  });

  it("maps python handlers to the module's .py file or package", () => {
    assert.deepEqual(handlerFiles("python3.12", "lambda_function.lambda_handler"), ["lambda_function.py", "lambda_function/__init__.py"]);
    assert.deepEqual(handlerFiles("python3.11", "pkg.mod.func"), ["pkg/mod.py", "pkg/mod/__init__.py"]);
    assert.deepEqual(handlerFiles("python3.12", "src/app.handler"), ["src/app.py", "src/app/__init__.py"]);
  });

  it("maps provided to bootstrap whatever the handler says", () => {
    assert.deepEqual(handlerFiles("provided", "function.handler"), ["bootstrap"]);
    assert.deepEqual(handlerFiles("provided", ""), ["bootstrap"]);
  });

  it("rejects malformed handlers with InvalidHandler", () => {
    for (const h of ["index", "index.", ".handler", "", "src/.h", "src/app"]) {
      invalidHandler(() => handlerFiles("nodejs20", h), /is not valid for runtime nodejs20: use "file\.export"/);
    }
    for (const h of ["handler", "mod.", ".f", "pkg..f", "./app.f"]) {
      invalidHandler(() => handlerFiles("python3.12", h), /is not valid for runtime python3\.12: use "module\.function"/);
    }
    invalidHandler(() => handlerFiles("nodejs20", "../up.handler"), /its module must be a relative path inside the zip/);
    invalidHandler(() => handlerFiles("nodejs20", "/abs/app.handler"), /its module must be a relative path inside the zip/);
  });
});

describe("java17 handlers", () => {
  it("map Class::method and Class to the class file, nested classes included", () => {
    assert.deepEqual(handlerFiles("java17", "com.example.Handler::handleRequest"), ["com/example/Handler.class"]);
    assert.deepEqual(handlerFiles("java17", "Handler"), ["Handler.class"]);
    assert.deepEqual(handlerFiles("java17", "a.b$Inner::run"), ["a/b$Inner.class"]);
  });

  it("reject handlers that are not a class name with an optional method", () => {
    for (const bad of ["", "com.example.Handler::", "::handle", "com..Handler", "com/example/Handler", "a.B::c::d", "a.B::1x", "../x.Y"]) {
      invalidHandler(() => handlerFiles("java17", bad), /is not valid for runtime java17: use "package.Class::method" or "package.Class"/);
    }
  });

  it("pass with the class at the root or any jar under lib/ (a jar's contents are not read), and say what to zip otherwise", () => {
    assertHandlerPresent(manifest(["example/", "example/Hello.class"]), "java17", "example.Hello::handleRequest");
    assertHandlerPresent(manifest(["lib/", "lib/app.jar"]), "java17", "example.Hello");
    assertHandlerPresent(manifest(["app.jar"]), "java17", "example.Hello");
    invalidHandler(
      () => assertHandlerPresent(manifest(["example/Other.class", "lib/readme.txt", "lib/sub/x.jar"]), "java17", "example.Hello"),
      /^Handler "example\.Hello" needs example\/Hello\.class in the zip, or a jar under lib\/ that holds it .*Top-level files: example\/, lib\/$/,
    );
  });
});

describe("assertHandlerPresent", () => {
  it("passes when any candidate file is in the zip", async () => {
    assertHandlerPresent(manifest(["index.mjs"]), "nodejs20", "index.handler");
    assertHandlerPresent(manifest(["src/", "src/app.cjs"]), "nodejs22", "src/app.main");
    assertHandlerPresent(manifest(["pkg/mod/__init__.py"]), "python3.12", "pkg.mod.func");
    assertHandlerPresent(await inspectZip(zip({ bootstrap: unixFile("#!/bin/sh\n", 0o755) })), "provided", "ignored");
    assertHandlerPresent(await inspectZip(zip({ "lambda_function.py": text("def lambda_handler(e, c): pass") })), "python3.11", "lambda_function.lambda_handler");
  });

  it("names the files looked for, the handler and the top-level files", () => {
    invalidHandler(
      () => assertHandlerPresent(manifest(["index.js", "package.json"]), "nodejs20", "src/app.main"),
      'Handler "src/app.main" needs src/app.js, src/app.mjs, src/app.cjs or src/app in the zip; none was found. Top-level files: index.js, package.json',
    );
    invalidHandler(
      () => assertHandlerPresent(manifest(["app.py", "lib/", "lib/x.py"]), "python3.12", "pkg.mod.func"),
      'Handler "pkg.mod.func" needs pkg/mod.py or pkg/mod/__init__.py in the zip; none was found. Top-level files: app.py, lib/',
    );
  });

  it("requires a bootstrap file, not a directory, for provided", () => {
    invalidHandler(
      () => assertHandlerPresent(manifest(["bootstrap/", "bootstrap/run.sh"]), "provided", "fn.handler"),
      /^Handler "fn\.handler" needs an executable file named bootstrap at the root of the zip \(runtime provided runs it\); none was found\. Top-level files: bootstrap\/$/,
    );
  });

  it("explains a zip of the folder instead of its contents", () => {
    invalidHandler(
      () => assertHandlerPresent(manifest(["my-fn/", "my-fn/index.js"]), "nodejs20", "index.handler"),
      /Top-level files: my-fn\/\. They are inside the folder "my-fn\/": zip the folder's contents, not the folder \(cd my-fn && zip -r \.\.\/function\.zip \.\)/,
    );
  });

  it("says when the zip is empty", () => {
    invalidHandler(() => assertHandlerPresent(manifest([]), "nodejs20", "index.handler"), /none was found\. The zip is empty$/);
  });

  it("lists at most 20 top-level files", () => {
    const many = Array.from({ length: 25 }, (_, i) => `f${String(i).padStart(2, "0")}.txt`);
    invalidHandler(() => assertHandlerPresent(manifest(many), "nodejs20", "index.handler"), /f19\.txt and 5 more$/);
  });
});

describe("handlerFiles for ruby", () => {
  it("maps file.method and file.Module::Class.method to the .rb file, subfolders included", () => {
    assert.deepEqual(handlerFiles("ruby3.1", "function.handler"), ["function.rb"]);
    assert.deepEqual(handlerFiles("ruby3.1", "lib/app/handlers.App::Handlers.process"), ["lib/app/handlers.rb"]);
  });

  it("refuses a handler that is not FILE.METHOD or FILE.CLASS.METHOD, or leaves the code", () => {
    for (const bad of ["function", "a.b.c.d", "function.", ".handler", "../up.handler", "/abs.handler"]) {
      assert.throws(() => handlerFiles("ruby3.1", bad), (e: unknown) => e instanceof ApiError && e.code === "InvalidHandler", bad);
    }
  });
});
