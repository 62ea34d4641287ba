/**
 * inspectZip: manifests of valid zips, and every way an upload is rejected.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { ApiError, type ErrorCode } from "../../protocol/errors.ts";
import { inspectZip } from "./inspect-zip.ts";
import { rawZip, storedEntry, symlinkTo, text, unixFile, withDeclaredSize, zerosEntry, zip } from "../../tests/support/zip-fixtures.ts";

const MB = 1024 * 1024;

/** Assert the promise rejects with an ApiError of `code`, status 400, whose message matches `message`. */
async function rejectsWith(p: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<ApiError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof ApiError, `expected ApiError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.status, 400);
  if (message) assert.match(caught.message, message);
  return caught;
}

describe("inspectZip: valid zips", () => {
  it("lists files with their real sizes and the total", async () => {
    const m = await inspectZip(zip({ "index.js": text("exports.handler = async () => 1;\n"), "package.json": text("{}") }));
    assert.deepEqual(
      m.entries.map((e) => [e.path, e.size, e.isDirectory, e.isSymlink]),
      [
        ["index.js", 33, false, false],
        ["package.json", 2, false, false],
      ],
    );
    assert.equal(m.totalUncompressed, 35);
  });

  it("lists nested directories and files with normalised paths", async () => {
    const m = await inspectZip(zip({ src: { lib: { "util.js": text("x") }, "app.js": text("y") } }));
    assert.deepEqual(
      m.entries.map((e) => [e.path, e.isDirectory]),
      [
        ["src", true],
        ["src/lib", true],
        ["src/lib/util.js", false],
        ["src/app.js", false],
      ],
    );
  });

  it("reports unix modes, and defaults when the zip carries none", async () => {
    const m = await inspectZip(zip({ bootstrap: unixFile("#!/bin/sh\n", 0o755), "plain.txt": text("p") }));
    assert.equal(m.entries.find((e) => e.path === "bootstrap")?.mode, 0o755);
    assert.equal(m.entries.find((e) => e.path === "plain.txt")?.mode, 0o644);
  });

  it("accepts a symlink that stays inside and reports its target", async () => {
    const m = await inspectZip(zip({ lib: { "real.js": text("r") }, "alias.js": symlinkTo("lib/real.js"), lib2: { up: symlinkTo("../lib") } }));
    const link = m.entries.find((e) => e.path === "alias.js");
    assert.equal(link?.isSymlink, true);
    assert.equal(link?.symlinkTarget, "lib/real.js");
    assert.equal(m.entries.find((e) => e.path === "lib2/up")?.symlinkTarget, "../lib");
  });

  it("reads Windows-style backslash names as directories", async () => {
    const m = await inspectZip(zip({ "src\\app.js": text("x") }));
    assert.deepEqual(m.entries.map((e) => e.path), ["src/app.js"]);
  });

  it("accepts an empty zip", async () => {
    const m = await inspectZip(zip({}));
    assert.deepEqual(m, { entries: [], totalUncompressed: 0 });
  });

  it("accepts a Uint8Array as well as a Buffer", async () => {
    const buf = zip({ "a.js": text("a") });
    const m = await inspectZip(new Uint8Array(buf));
    assert.equal(m.entries.length, 1);
  });
});

describe("inspectZip: unsafe entries", () => {
  const cases: [string, Buffer, RegExp][] = [
    ["a `..` segment", zip({ "../evil.js": text("x") }), /"\.\.\/evil\.js" climbs out/],
    ["a `..` segment in the middle", zip({ "a/../../evil.js": text("x") }), /climbs out/],
    ["an absolute path", zip({ "/abs.js": text("x") }), /"\/abs\.js" is an absolute path/],
    ["a drive letter", zip({ "C:\\x.js": text("x") }), /is an absolute Windows path/],
    ["a UNC path", zip({ "\\\\server\\share\\x.js": text("x") }), /is an absolute path/],
    ["backslash traversal", zip({ "..\\..\\evil.js": text("x") }), /climbs out/],
    ["a NUL in the name", zip({ "a\0.js": text("x") }), /"a\\u0000\.js" contains a NUL character/],
    ["a symlink to an absolute path", zip({ link: symlinkTo("/etc/passwd") }), /"link" is a symlink to the absolute path "\/etc\/passwd"/],
    ["a symlink climbing out", zip({ sub: { link: symlinkTo("../../outside") } }), /"sub\/link" is a symlink to "\.\.\/\.\.\/outside", which resolves outside/],
    ["a symlink to ..", zip({ link: symlinkTo("..") }), /resolves outside/],
    ["a symlink with a backslash target", zip({ link: symlinkTo("..\\..\\etc") }), /contains a backslash/],
    [
      "a symlink escaping through another symlink",
      zip({ sub: { deep: { s: symlinkTo("../..") } }, t: symlinkTo("sub/deep/s/..") }),
      /"t" is a symlink to "sub\/deep\/s\/\.\.", which resolves outside/,
    ],
    ["a symlink loop", zip({ a: symlinkTo("b"), b: symlinkTo("a") }), /symlink loop/],
    ["an entry under a symlink", zip({ real: { "x.js": text("x") }, link: symlinkTo("real"), "link/y.js": text("y") }), /"link\/y\.js" lies under "link"/],
  ];
  for (const [what, buf, message] of cases) {
    it(`rejects ${what} with UnsafeZipEntry naming the entry`, async () => {
      const e = await rejectsWith(inspectZip(buf), "UnsafeZipEntry", message);
      assert.ok(typeof e.details?.entry === "string");
    });
  }

  it("rejects an entry whose name appears twice", async () => {
    const buf = rawZip([storedEntry("a.js", "1"), storedEntry("./a.js", "2")]);
    await rejectsWith(inspectZip(buf), "UnsafeZipEntry", /"\.\/a\.js" appears twice/);
  });

  it("rejects a device or FIFO entry", async () => {
    const buf = rawZip([storedEntry("fifo", "", 0o010644)]);
    await rejectsWith(inspectZip(buf), "UnsafeZipEntry", /FIFO/);
  });

  it("rejects a file named by a bare `.`", async () => {
    await rejectsWith(inspectZip(rawZip([storedEntry(".", "x")])), "UnsafeZipEntry", /does not name a file/);
  });
});

describe("inspectZip: sizes and zip bombs", () => {
  it("rejects a zip over 50 MB with CodeTooLarge before reading it", async () => {
    await rejectsWith(inspectZip(Buffer.alloc(50 * MB + 1)), "CodeTooLarge", /The zip is 50 MB; the limit is 50 MB/);
  });

  it("rejects 300 MB of honestly declared zeros with CodeTooLarge, without inflating them", async () => {
    const bomb = rawZip([await zerosEntry("zeros.bin", 300 * MB)]);
    assert.ok(bomb.length < 1 * MB);
    const started = performance.now();
    await rejectsWith(inspectZip(bomb), "CodeTooLarge", /Unzipped code would be 300 MB; the limit is 250 MB/);
    assert.ok(performance.now() - started < 200, "the declared total is checked before inflating");
  });

  it("stops inflating a zip bomb whose headers lie about its size, near the declared size", async () => {
    const bomb = rawZip([{ ...(await zerosEntry("zeros.bin", 300 * MB)), uncompressedSize: 1000 }]);
    const started = performance.now();
    await rejectsWith(inspectZip(bomb), "CodeTooLarge", /"zeros\.bin" inflates to more than the 1000 bytes its header declares/);
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms: inflation must stop early`);
  });

  it("catches a lying size in an fflate-built zip too", async () => {
    const lying = withDeclaredSize(zip({ "big.bin": new Uint8Array(5 * MB) }), 10);
    await rejectsWith(inspectZip(lying), "CodeTooLarge", /more than the 10 bytes/);
  });

  it("applies custom limits: unzipped total and entry count", async () => {
    const buf = zip({ "a.bin": new Uint8Array(600), "b.bin": new Uint8Array(600) });
    await rejectsWith(inspectZip(buf, { maxUnzippedBytes: 1000 }), "CodeTooLarge", /would be 1\.2 KB; the limit is 1000 bytes/);
    await rejectsWith(inspectZip(buf, { maxEntries: 1 }), "CodeTooLarge", /has 2 entries; the limit is 1/);
    assert.equal((await inspectZip(buf, { maxUnzippedBytes: 1200, maxEntries: 2 })).totalUncompressed, 1200);
  });
});

describe("inspectZip: not a zip, corrupt or truncated", () => {
  const howTo = /The upload must be a zip archive, for example made with `zip -r function\.zip \.`/;

  it("rejects bytes that are not a zip with InvalidZip saying how to make one", async () => {
    await rejectsWith(inspectZip(randomBytes(4096)), "InvalidZip", howTo);
    await rejectsWith(inspectZip(Buffer.from("hello world")), "InvalidZip", howTo);
    await rejectsWith(inspectZip(Buffer.alloc(0)), "InvalidZip", howTo);
  });

  it("rejects a truncated zip with InvalidZip", async () => {
    const good = zip({ "index.js": randomBytes(10_000), "other.js": text("x") });
    for (const cut of [good.length - 10, Math.floor(good.length / 2), 100]) {
      await rejectsWith(inspectZip(good.subarray(0, cut)), "InvalidZip", howTo);
    }
  });

  it("rejects corrupt deflated data with InvalidZip", async () => {
    const good = zip({ "index.js": text("exports.handler = async () => 'hello';\n".repeat(500)) });
    const bad = Buffer.from(good);
    for (let i = 40; i < 120; i++) bad[i] ^= 0x5a; // inside the first entry's deflated data
    await rejectsWith(inspectZip(bad), "InvalidZip", /entry "index\.js"/);
  });

  it("rejects stored data whose CRC-32 does not match with InvalidZip", async () => {
    const entry = storedEntry("index.js", "exports.handler = 1;");
    await rejectsWith(inspectZip(rawZip([{ ...entry, crc: entry.crc ^ 1 }])), "InvalidZip", /"index\.js" is corrupt \(CRC-32 mismatch\)/);
  });

  it("rejects an entry shorter than declared with InvalidZip", async () => {
    const entry = storedEntry("index.js", "abc");
    await rejectsWith(inspectZip(rawZip([{ ...entry, method: 8, stored: Buffer.from([0x03, 0x00]), uncompressedSize: 3 }])), "InvalidZip", /truncated \(0 of 3 bytes\)/);
  });

  it("rejects encrypted entries with InvalidZip", async () => {
    await rejectsWith(inspectZip(rawZip([{ ...storedEntry("a.js", "x".repeat(20)), flags: 1 }])), "InvalidZip", /encrypted/);
  });

  it("rejects an unsupported compression method with InvalidZip", async () => {
    await rejectsWith(inspectZip(rawZip([{ ...storedEntry("a.js", "x"), method: 12 as 0 }])), "InvalidZip", /compression method 12/);
  });
});
