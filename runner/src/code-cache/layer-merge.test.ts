/**
 * CodeCache.ensureLayers against the real FsCodeStore and extractZip: layers merged in order into
 * one read-only tree (later layers win file by file), cached by the ordered set, shared by
 * concurrent callers, checked against its manifest, and rebuilt when tampered with.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync, strToU8 } from "fflate";
import { FsCodeStore } from "../../../shared/code-store/fs-code-store.ts";
import { CodeCache, CodeNotFoundError, layerSetKey, removeTree } from "./code-cache.ts";

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const root = await mkdtemp(join(tmpdir(), "hs-layer-merge-"));
  t.after(() => removeTree(root));
  const store = new FsCodeStore(join(root, "store"));
  await store.init();
  const tampered: string[] = [];
  const cacheDir = join(root, "cache");
  const cache = new CodeCache({ dir: cacheDir, codeStore: store, onTampered: (sha) => tampered.push(sha) });
  return { store, cache, cacheDir, tampered };
}

const zip = (files: Record<string, string>) => Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)]))));

const BASE = zip({ "nodejs/node_modules/a/index.js": "base a", "nodejs/node_modules/b/index.js": "base b", "bin/tool": "base tool" });
const OVER = zip({ "nodejs/node_modules/a/index.js": "over a", "python/mod.py": "over py" });

test("merges layers in order: a later layer's file replaces an earlier one's, everything else is kept", async (t) => {
  const { store, cache, cacheDir } = await setup(t);
  const base = (await store.put(BASE)).sha256;
  const over = (await store.put(OVER)).sha256;
  const dir = await cache.ensureLayers([base, over]);
  assert.equal(dir, join(cacheDir, layerSetKey([base, over])));
  assert.equal(await readFile(join(dir, "nodejs/node_modules/a/index.js"), "utf8"), "over a");
  assert.equal(await readFile(join(dir, "nodejs/node_modules/b/index.js"), "utf8"), "base b");
  assert.equal(await readFile(join(dir, "bin/tool"), "utf8"), "base tool");
  assert.equal(await readFile(join(dir, "python/mod.py"), "utf8"), "over py");
  assert.equal((await stat(dir)).mode & 0o777, 0o555);
  assert.equal((await stat(join(dir, "nodejs/node_modules/a"))).mode & 0o777, 0o555);
  assert.equal((await stat(join(dir, "python/mod.py"))).mode & 0o777, 0o444);

  const reversed = await cache.ensureLayers([over, base]);
  assert.notEqual(reversed, dir, "the order is part of the key");
  assert.equal(await readFile(join(reversed, "nodejs/node_modules/a/index.js"), "utf8"), "base a");
  // The layer trees themselves are untouched by the merges.
  assert.equal(await readFile(join(cacheDir, base, "nodejs/node_modules/a/index.js"), "utf8"), "base a");
});

test("concurrent callers share one merge, and a later call reuses the tree", async (t) => {
  const { store, cache, cacheDir } = await setup(t);
  const shas = [(await store.put(BASE)).sha256, (await store.put(OVER)).sha256];
  const dirs = await Promise.all(Array.from({ length: 5 }, () => cache.ensureLayers(shas)));
  assert.equal(new Set(dirs).size, 1);
  const ino = (await stat(join(dirs[0]!, "python/mod.py"))).ino;
  assert.equal(await cache.ensureLayers(shas), dirs[0]);
  assert.equal((await stat(join(dirs[0]!, "python/mod.py"))).ino, ino, "not rebuilt");
  assert.ok(!(await readdir(cacheDir)).some((n) => n.startsWith(".extract-")), "no temp directory is left behind");
});

test("a merged tree changed on disk is rebuilt from its layers", async (t) => {
  const { store, cache, tampered } = await setup(t);
  const shas = [(await store.put(BASE)).sha256, (await store.put(OVER)).sha256];
  const dir = await cache.ensureLayers(shas);
  const file = join(dir, "nodejs/node_modules/b/index.js");
  // A hard link: the change shows in the layer's tree too, so both are caught and rebuilt.
  await chmod(file, 0o644);
  await writeFile(file, "evil");
  const again = await cache.ensureLayers(shas);
  assert.equal(await readFile(join(again, "nodejs/node_modules/b/index.js"), "utf8"), "base b");
  assert.ok(tampered.includes(layerSetKey(shas)), `tampering reported: ${tampered.join(",")}`);
});

test("a layer missing from the code store fails with CodeNotFoundError and leaves nothing behind", async (t) => {
  const { store, cache, cacheDir } = await setup(t);
  const base = (await store.put(BASE)).sha256;
  await assert.rejects(cache.ensureLayers([base, "f".repeat(64)]), CodeNotFoundError);
  assert.ok(!(await readdir(cacheDir)).some((n) => n === layerSetKey([base, "f".repeat(64)]) || n.startsWith(".extract-")));
  assert.throws(() => cache.ensureLayers(["../etc"]), /invalid code sha256/);
});
