/**
 * Path rules for zip entries and symlink targets, without zips.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalizeEntryName, structureProblem, symlinkResolutionProblem, symlinkTargetProblem } from "./entry-path.ts";

describe("normalizeEntryName", () => {
  it("normalises safe names", () => {
    assert.deepEqual(normalizeEntryName("index.js"), { ok: true, path: "index.js", isDirectory: false });
    assert.deepEqual(normalizeEntryName("./src//lib/./x.js"), { ok: true, path: "src/lib/x.js", isDirectory: false });
    assert.deepEqual(normalizeEntryName("src/"), { ok: true, path: "src", isDirectory: true });
    assert.deepEqual(normalizeEntryName("src\\app.js"), { ok: true, path: "src/app.js", isDirectory: false });
    assert.deepEqual(normalizeEntryName("./"), { ok: true, path: "", isDirectory: true });
    assert.deepEqual(normalizeEntryName("a..b/..c"), { ok: true, path: "a..b/..c", isDirectory: false });
  });

  it("rejects traversal, absolute paths, drive letters, UNC paths and NUL", () => {
    for (const name of ["..", "../x", "a/../../x", "a/..", "..\\x", "a\\..\\..\\x"]) {
      assert.deepEqual(normalizeEntryName(name), { ok: false, why: "climbs out of the code directory with `..`" }, name);
    }
    for (const name of ["/x", "/", "\\x", "\\\\server\\share"]) {
      assert.deepEqual(normalizeEntryName(name), { ok: false, why: "is an absolute path" }, name);
    }
    for (const name of ["C:\\x", "c:/x", "D:x"]) {
      assert.deepEqual(normalizeEntryName(name), { ok: false, why: "is an absolute Windows path (drive letter)" }, name);
    }
    assert.deepEqual(normalizeEntryName("a\0b"), { ok: false, why: "contains a NUL character" });
    assert.deepEqual(normalizeEntryName(""), { ok: false, why: "has an empty name" });
    assert.equal(normalizeEntryName(`${"x".repeat(256)}.js`).ok, false);
  });
});

describe("symlink checks", () => {
  it("rejects empty, absolute, NUL and backslash targets", () => {
    assert.match(symlinkTargetProblem("") ?? "", /empty target/);
    assert.match(symlinkTargetProblem("/etc/passwd") ?? "", /absolute path/);
    assert.match(symlinkTargetProblem("C:/x") ?? "", /absolute path/);
    assert.match(symlinkTargetProblem("a\0b") ?? "", /NUL/);
    assert.match(symlinkTargetProblem("..\\x") ?? "", /backslash/);
    assert.equal(symlinkTargetProblem("../lib/x.js"), undefined);
  });

  it("resolves through the zip's other symlinks", () => {
    const links = new Map([
      ["sub/deep/s", "../.."], // resolves to the root: fine on its own
      ["t", "sub/deep/s/.."], // root/.. : outside, though it looks like `sub/deep`
      ["u", "sub/deep/s/sub"], // root/sub: fine
      ["v", "./sub/../sub/deep"], // fine
      ["w", "sub/deep/../../.."], // lexically outside
    ]);
    assert.equal(symlinkResolutionProblem("sub/deep/s", links), undefined);
    assert.match(symlinkResolutionProblem("t", links) ?? "", /resolves outside/);
    assert.equal(symlinkResolutionProblem("u", links), undefined);
    assert.equal(symlinkResolutionProblem("v", links), undefined);
    assert.match(symlinkResolutionProblem("w", links) ?? "", /resolves outside/);
  });

  it("detects loops", () => {
    const links = new Map([
      ["a", "b"],
      ["b", "a"],
      ["self", "self/x"],
    ]);
    assert.match(symlinkResolutionProblem("a", links) ?? "", /loop/);
    assert.match(symlinkResolutionProblem("self", links) ?? "", /loop/);
  });
});

describe("structureProblem", () => {
  it("allows repeated directories but not repeated files", () => {
    assert.equal(
      structureProblem([
        { name: "d/", path: "d", isDirectory: true },
        { name: "./d/", path: "d", isDirectory: true },
      ]),
      undefined,
    );
    assert.deepEqual(
      structureProblem([
        { name: "a.js", path: "a.js", isDirectory: false },
        { name: "a.js", path: "a.js", isDirectory: false },
      ]),
      { name: "a.js", why: 'appears twice (also as "a.js")' },
    );
  });

  it("rejects an entry under a file or symlink, in either order", () => {
    const p = structureProblem([
      { name: "x/y.js", path: "x/y.js", isDirectory: false },
      { name: "x", path: "x", isDirectory: false },
    ]);
    assert.equal(p?.name, "x/y.js");
    assert.match(p?.why ?? "", /lies under "x"/);
  });
});
