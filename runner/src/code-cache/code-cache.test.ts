/**
 * CodeCache against the real FsCodeStore and extractZip, with zips built by fflate.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync, strToU8 } from "fflate";
import { FsCodeStore } from "../../../shared/code-store/fs-code-store.ts";
import { CodeCache, CodeNotFoundError, removeTree } from "./code-cache.ts";

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const root = await mkdtemp(join(tmpdir(), "hs-code-cache-"));
  t.after(() => removeTree(root));
  const store = new FsCodeStore(join(root, "store"));
  await store.init();
  let gets = 0;
  // Counts the real store's reads so tests can assert that hits never reach it.
  const counted = {
    get: (sha: string) => {
      gets++;
      return store.get(sha);
    },
  };
  const cacheDir = join(root, "cache");
  const cache = new CodeCache({ dir: cacheDir, codeStore: counted });
  return { root, store, cache, cacheDir, counted, gets: () => gets };
}

const ZIP = Buffer.from(
  zipSync({
    "index.js": strToU8("exports.handler = async (e) => e;\n"),
    "lib/util.js": strToU8("module.exports = 1;\n"),
    bootstrap: [strToU8("#!/bin/sh\necho hi\n"), { os: 3, attrs: 0o100755 << 16 }],
  }),
);

const mode = async (p: string) => (await stat(p)).mode & 0o777;
/** Cache entries, without the package.json scope boundary and the trees' manifests the cache keeps at its root. */
const entries = async (dir: string) => (await readdir(dir)).filter((n) => n !== "package.json" && !n.endsWith(".manifest.json"));

test("extracts a package once into <dir>/<sha256> as a read-only tree", async (t) => {
  const { store, cache, cacheDir } = await setup(t);
  const { sha256 } = await store.put(ZIP);
  const dir = await cache.ensure(sha256);
  assert.equal(dir, join(cacheDir, sha256));
  assert.equal(await readFile(join(dir, "lib/util.js"), "utf8"), "module.exports = 1;\n");
  assert.equal(await mode(dir), 0o555);
  assert.equal(await mode(join(dir, "lib")), 0o555);
  assert.equal(await mode(join(dir, "index.js")), 0o444);
  assert.equal(await mode(join(dir, "bootstrap")), 0o555);
  assert.deepEqual(await entries(cacheDir), [sha256], "no temp directory is left behind");
});

test("code without its own package.json loads as CommonJS even when the cache sits inside an ESM package", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "hs-code-cache-esm-"));
  t.after(() => removeTree(root));
  await writeFile(join(root, "package.json"), '{ "type": "module" }\n');
  const store = new FsCodeStore(join(root, "store"));
  await store.init();
  const cache = new CodeCache({ dir: join(root, ".hotswap", "code-cache"), codeStore: store });
  const { sha256 } = await store.put(ZIP);
  const dir = await cache.ensure(sha256);
  const r = spawnSync(process.execPath, ["-e", `process.stdout.write(typeof require(${JSON.stringify(join(dir, "index.js"))}).handler)`], {
    encoding: "utf8",
  });
  assert.equal(r.stdout, "function", r.stderr);
});

test("concurrent ensure() calls for one sha share a single download", async (t) => {
  const { store, cache, gets } = await setup(t);
  const { sha256 } = await store.put(ZIP);
  const dirs = await Promise.all([1, 2, 3, 4, 5].map(() => cache.ensure(sha256)));
  assert.equal(new Set(dirs).size, 1);
  assert.equal(gets(), 1);
});

test("a cache hit never touches the code store, even from a new cache on the same directory", async (t) => {
  const { store, cache, cacheDir, counted, gets } = await setup(t);
  const { sha256 } = await store.put(ZIP);
  await cache.ensure(sha256);
  await cache.ensure(sha256);
  const restarted = new CodeCache({ dir: cacheDir, codeStore: counted });
  await restarted.ensure(sha256);
  assert.equal(gets(), 1);
});

test("rejects with CodeNotFoundError when the store lacks the package, and retries next time", async (t) => {
  const { store, cache, cacheDir, gets } = await setup(t);
  const sha256 = "0".repeat(64);
  await assert.rejects(cache.ensure(sha256), CodeNotFoundError);
  assert.deepEqual(await entries(cacheDir), []);
  const stored = await store.put(ZIP);
  await assert.rejects(cache.ensure(sha256), /not in the code store/);
  assert.equal(gets(), 2, "a failure is not cached");
  await cache.ensure(stored.sha256);
});

test("rejects a corrupt zip and leaves no partial tree", async (t) => {
  const { store, cache, cacheDir } = await setup(t);
  const { sha256 } = await store.put(Buffer.from("this is not a zip file"));
  await assert.rejects(cache.ensure(sha256), (e: Error & { code?: string }) => e.code === "InvalidZip");
  assert.deepEqual(await entries(cacheDir), []);
});

test("refuses a sha that is not 64 lowercase hex characters", async (t) => {
  const { cache, gets } = await setup(t);
  await assert.rejects(cache.ensure("../../etc"), /invalid code sha256/);
  assert.equal(gets(), 0);
});

test("evict removes the tree and size() reports what is cached", async (t) => {
  const { store, cache, gets } = await setup(t);
  const { sha256 } = await store.put(ZIP);
  const dir = await cache.ensure(sha256);
  const size = await cache.size();
  assert.equal(size.entries, 1);
  assert.equal(size.bytes, 34 + 20 + 18);
  await cache.evict(sha256);
  await assert.rejects(stat(dir), { code: "ENOENT" });
  assert.deepEqual(await cache.size(), { entries: 0, bytes: 0 });
  await cache.ensure(sha256);
  assert.equal(gets(), 2, "an evicted package is downloaded again");
});
