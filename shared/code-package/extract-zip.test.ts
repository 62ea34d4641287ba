/**
 * extractZip: what lands on disk, and that rejected zips leave nothing behind.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Zippable } from "fflate";
import { ApiError } from "../../protocol/errors.ts";
import { extractZip } from "./extract-zip.ts";
import { rawZip, symlinkTo, text, unixFile, zerosEntry, zip } from "../../tests/support/zip-fixtures.ts";

const MB = 1024 * 1024;

describe("extractZip", () => {
  let base: string;
  let n = 0;
  const freshDir = async () => {
    const d = join(base, `x${n++}`);
    await mkdir(d);
    return d;
  };
  before(async () => {
    base = await mkdtemp(join(tmpdir(), "hs-extract-"));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("writes files and nested directories with their contents", async () => {
    const dest = await freshDir();
    const m = await extractZip(zip({ "index.js": text("exports.handler = 1;"), src: { lib: { "u.js": text("u") } }, "empty/": {} }), dest);
    assert.equal(await readFile(join(dest, "index.js"), "utf8"), "exports.handler = 1;");
    assert.equal(await readFile(join(dest, "src/lib/u.js"), "utf8"), "u");
    assert.ok((await stat(join(dest, "empty"))).isDirectory());
    assert.equal(m.totalUncompressed, 21);
  });

  it("keeps the executable bit (a provided runtime's bootstrap stays executable) and makes other files 0644", async () => {
    const dest = await freshDir();
    await extractZip(zip({ bootstrap: unixFile("#!/bin/sh\necho hi\n", 0o755), "owner-only": unixFile("x", 0o700), "data.txt": unixFile("d", 0o600), "dos.txt": text("no unix mode") }), dest);
    assert.equal((await stat(join(dest, "bootstrap"))).mode & 0o777, 0o755);
    assert.equal((await stat(join(dest, "owner-only"))).mode & 0o777, 0o755);
    assert.equal((await stat(join(dest, "data.txt"))).mode & 0o777, 0o644);
    assert.equal((await stat(join(dest, "dos.txt"))).mode & 0o777, 0o644);
  });

  it("creates symlinks that stay inside", async () => {
    const dest = await freshDir();
    await extractZip(zip({ lib: { "real.js": text("r") }, "alias.js": symlinkTo("lib/real.js") }), dest);
    assert.ok((await lstat(join(dest, "alias.js"))).isSymbolicLink());
    assert.equal(await readlink(join(dest, "alias.js")), "lib/real.js");
    assert.equal(await readFile(join(dest, "alias.js"), "utf8"), "r");
  });

  it("rejects unsafe zips with UnsafeZipEntry and writes nothing, inside or outside destDir", async () => {
    const hostile: Zippable[] = [
      { "ok.js": text("fine"), "../evil.js": text("x") },
      { "ok.js": text("fine"), link: symlinkTo("../../etc") },
      { "ok.js": text("fine"), "/abs.js": text("x") },
    ];
    for (const files of hostile) {
      const dest = await freshDir();
      await assert.rejects(extractZip(zip(files), dest), (e: unknown) => e instanceof ApiError && e.code === "UnsafeZipEntry");
      assert.deepEqual(await readdir(dest), []);
    }
    assert.ok(!(await readdir(base)).includes("evil.js"));
  });

  it("rejects 300 MB of zeros without writing them out", async () => {
    const dest = await freshDir();
    const honest = rawZip([await zerosEntry("zeros.bin", 300 * MB)]);
    await assert.rejects(extractZip(honest, dest), (e: unknown) => e instanceof ApiError && e.code === "CodeTooLarge");
    assert.deepEqual(await readdir(dest), []);

    const lying = rawZip([{ ...(await zerosEntry("zeros.bin", 300 * MB)), uncompressedSize: 4096 }]);
    const started = performance.now();
    await assert.rejects(extractZip(lying, dest), (e: unknown) => e instanceof ApiError && e.code === "CodeTooLarge");
    assert.ok(performance.now() - started < 500);
    assert.deepEqual(await readdir(dest), [], "the partial file is removed");
  });

  it("removes what it wrote when a later entry turns out corrupt", async () => {
    const dest = await freshDir();
    const good = zip({ "a.js": text("first"), "b.js": randomBytes(4000) });
    const bad = Buffer.from(good);
    const at = bad.indexOf(Buffer.from("b.js")) + 4 + 10; // inside b.js's deflated data
    for (let i = at; i < at + 40; i++) bad[i] ^= 0xa5;
    await assert.rejects(extractZip(bad, dest), (e: unknown) => e instanceof ApiError && e.code === "InvalidZip");
    assert.deepEqual(await readdir(dest), []);
  });

  it("refuses a destDir that is not empty", async () => {
    const dest = await freshDir();
    await writeFile(join(dest, "keep.txt"), "mine");
    await assert.rejects(extractZip(zip({ "a.js": text("a") }), dest), /must be empty/);
    assert.equal(await readFile(join(dest, "keep.txt"), "utf8"), "mine");
  });
});
