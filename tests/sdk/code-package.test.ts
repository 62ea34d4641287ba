/** Deterministic packaging: the same files always give the same zip and sha256. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, utimes, stat } from "node:fs/promises";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { unzipSync, zipSync } from "fflate";
import { buildCodePackage, cacheCodePackage, collectFiles } from "../../infra/sdk/code-package.ts";
import { readCachedCode } from "../../infra/sdk/code-cache.ts";
import { codeDir, removeCodeDirs } from "./support/sdk.ts";

after(removeCodeDirs);

const FILES = {
  "index.js": "exports.handler = async () => 'hi';\n",
  "lib/util.js": "module.exports = 42;\n",
  "lib/deep/data.json": '{"a":1}\n',
  bootstrap: "+x #!/bin/sh\necho hi\n",
};

test("the same files written in a different order and with different mtimes give the same sha256", async () => {
  const a = await codeDir(FILES);
  const reversed = Object.fromEntries(Object.entries(FILES).reverse());
  const b = await codeDir(reversed);
  await utimes(join(b, "index.js"), new Date("2001-02-03"), new Date("2001-02-03"));
  await utimes(join(b, "lib/util.js"), new Date(), new Date(Date.now() + 86_400_000));
  const pa = await buildCodePackage(a);
  const pb = await buildCodePackage(b);
  assert.equal(pa.sha256, pb.sha256);
  assert.deepEqual(Buffer.from(pa.zip), Buffer.from(pb.zip));
  assert.equal(pa.fileCount, 4);
});

test("a changed byte, a new file or a lost executable bit change the sha256", async () => {
  const base = (await buildCodePackage(await codeDir(FILES))).sha256;
  assert.notEqual((await buildCodePackage(await codeDir({ ...FILES, "index.js": "exports.handler = async () => 'ho';\n" }))).sha256, base);
  assert.notEqual((await buildCodePackage(await codeDir({ ...FILES, "extra.txt": "" }))).sha256, base);
  assert.notEqual((await buildCodePackage(await codeDir({ ...FILES, bootstrap: "#!/bin/sh\necho hi\n" }))).sha256, base);
});

test("modes are reduced to 0644 and 0755, so umask differences do not count, and the executable bit survives", async () => {
  const dir = await codeDir(FILES);
  const { chmod } = await import("node:fs/promises");
  const before = (await buildCodePackage(dir)).sha256;
  await chmod(join(dir, "index.js"), 0o600);
  await chmod(join(dir, "bootstrap"), 0o700);
  const pkg = await buildCodePackage(dir);
  assert.equal(pkg.sha256, before);
  const files = await collectFiles(dir);
  assert.equal(files.find((f) => f.path === "bootstrap")!.executable, true);
  assert.equal(files.find((f) => f.path === "index.js")!.executable, false);
  // Entries are sorted and use "/" separators.
  assert.deepEqual(Object.keys(unzipSync(pkg.zip)), ["bootstrap", "index.js", "lib/deep/data.json", "lib/util.js"]);
});

test("a FileArchive, an AssetArchive and a .zip of the same files give the directory's sha256", async () => {
  const dir = await codeDir(FILES);
  const expected = (await buildCodePackage(dir)).sha256;
  assert.equal((await buildCodePackage(new pulumi.asset.FileArchive(dir))).sha256, expected);
  const assets = new pulumi.asset.AssetArchive({
    "index.js": new pulumi.asset.StringAsset(FILES["index.js"]),
    lib: new pulumi.asset.FileArchive(join(dir, "lib")),
    bootstrap: new pulumi.asset.FileAsset(join(dir, "bootstrap")),
  });
  assert.equal((await buildCodePackage(assets)).sha256, expected);
  // A zip made by another tool (other order, timestamps, attributes) is normalized.
  const other = zipSync({
    "lib/util.js": [new TextEncoder().encode(FILES["lib/util.js"]), { mtime: new Date("2015-05-05"), os: 3, attrs: (0o100664 << 16) >>> 0 }],
    "index.js": [new TextEncoder().encode(FILES["index.js"]), { mtime: new Date("2019-01-01"), level: 9 }],
    "lib/deep/data.json": new TextEncoder().encode(FILES["lib/deep/data.json"]),
    bootstrap: [new TextEncoder().encode("#!/bin/sh\necho hi\n"), { os: 3, attrs: (0o100775 << 16) >>> 0 }],
  });
  const zipDir = await codeDir({});
  const zipPath = join(zipDir, "code.zip");
  await (await import("node:fs/promises")).writeFile(zipPath, other);
  assert.equal((await buildCodePackage(zipPath)).sha256, expected);
});

test("relative paths resolve against the project directory", async () => {
  const dir = await codeDir({ "fn/index.js": FILES["index.js"] });
  assert.equal((await buildCodePackage("fn", dir)).sha256, (await buildCodePackage(join(dir, "fn"))).sha256);
});

test("unusable code is refused with a message that says what to pass instead", async () => {
  const dir = await codeDir({ "index.js": "x", "code.tgz": "not really" });
  await assert.rejects(buildCodePackage(join(dir, "missing")), /^CodePackageError: code path ".*missing" does not exist/);
  await assert.rejects(buildCodePackage(join(dir, "index.js")), /is a single file; pass the directory that contains it/);
  await assert.rejects(buildCodePackage(await codeDir({})), /contains no files/);
  await assert.rejects(buildCodePackage(new pulumi.asset.RemoteArchive("https://example.com/x.zip")), /RemoteArchive; download it first/);
  await assert.rejects(buildCodePackage(new pulumi.asset.AssetArchive({ "../x.js": new pulumi.asset.StringAsset("x") })), /points outside the package/);
  await assert.rejects(buildCodePackage(join(dir, "code.tgz")), /is a tar archive; HotSwap packages directories and \.zip files/);
  await assert.rejects(buildCodePackage(join(dir, "index.js.zip")), /does not exist/);
});

test("the cache hands the exact bytes to the provider and detects tampering", async () => {
  const pkg = await buildCodePackage(await codeDir(FILES));
  const file = await cacheCodePackage(pkg);
  assert.deepEqual(Buffer.from(await readCachedCode(pkg.sha256)), Buffer.from(pkg.zip));
  assert.ok((await stat(file)).isFile());
  await assert.rejects(readCachedCode("0".repeat(64)), /is not in .*hotswap-code\/0{64}\.zip\. The program writes it there each time it runs/);
  const { writeFile } = await import("node:fs/promises");
  const tampered = { ...pkg, sha256: "f".repeat(64) };
  await writeFile(file.replace(pkg.sha256, tampered.sha256), await readFile(file));
  await assert.rejects(readCachedCode(tampered.sha256), /has sha256 [0-9a-f]{64}, not f{64}; it was modified/);
});
