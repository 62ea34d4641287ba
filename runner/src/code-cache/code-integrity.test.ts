/**
 * Code integrity of the cache: trees owned by the runner and read-only, checked against their
 * manifest on every load (re-extracted when changed, also across a runner restart), and collected
 * when no live version uses them and nobody loaded them for the idle period.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync, strToU8 } from "fflate";
import { FsCodeStore } from "../../../shared/code-store/fs-code-store.ts";
import { CodeCache, removeTree } from "./code-cache.ts";

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const root = await mkdtemp(join(tmpdir(), "hs-code-integrity-"));
  t.after(() => removeTree(root));
  const store = new FsCodeStore(join(root, "store"));
  await store.init();
  const cacheDir = join(root, "cache");
  const tampered: Array<[string, string]> = [];
  const make = () => new CodeCache({ dir: cacheDir, codeStore: store, onTampered: (sha, problem) => tampered.push([sha, problem]) });
  return { store, cacheDir, make, tampered };
}

const HANDLER = "exports.handler = async () => 'original';\n";
const zipOf = (handler: string) => Buffer.from(zipSync({ "index.js": strToU8(handler), "lib/util.js": strToU8("module.exports = 1;\n") }));

test("trees belong to the runner and are read-only; the cache dir is 0700 (only the runner lists it) and its files have explicit modes whatever the umask", async (t) => {
  const { store, make, cacheDir } = await setup(t);
  const old = process.umask(0o077);
  t.after(() => void process.umask(old));
  const { sha256 } = await store.put(zipOf(HANDLER));
  const dir = await make().ensure(sha256);
  for (const [p, want] of [
    [cacheDir, 0o700],
    [dir, 0o555],
    [join(dir, "lib"), 0o555],
    [join(dir, "index.js"), 0o444],
    [join(cacheDir, "package.json"), 0o644],
    [join(cacheDir, `${sha256}.manifest.json`), 0o644],
  ] as const) {
    const st = await stat(p);
    assert.equal(st.mode & 0o777, want, `${p} mode ${(st.mode & 0o777).toString(8)}`);
    assert.equal(st.uid, process.getuid!(), `${p} is owned by the runner`);
  }
});

test("a tree whose handler was replaced is extracted again on the next load, and the change is reported", async (t) => {
  const { store, make, tampered } = await setup(t);
  const cache = make();
  const { sha256 } = await store.put(zipOf(HANDLER));
  const dir = await cache.ensure(sha256);
  // What finding 2 did: make the tree writable again and swap the handler.
  await chmod(dir, 0o755);
  await chmod(join(dir, "index.js"), 0o644);
  await writeFile(join(dir, "index.js"), "exports.handler = async () => 'attacker';\n");
  await chmod(join(dir, "index.js"), 0o444);
  await chmod(dir, 0o555);
  assert.equal(await cache.ensure(sha256), dir);
  assert.equal(await readFile(join(dir, "index.js"), "utf8"), HANDLER);
  assert.equal(tampered.length, 1);
  assert.equal(tampered[0]![0], sha256);
});

test("an added file is noticed too", async (t) => {
  const { store, make, tampered } = await setup(t);
  const cache = make();
  const { sha256 } = await store.put(zipOf(HANDLER));
  const dir = await cache.ensure(sha256);
  await chmod(dir, 0o755);
  await writeFile(join(dir, "extra.js"), "evil()\n");
  await chmod(dir, 0o555);
  await cache.ensure(sha256);
  assert.deepEqual((await readdir(dir)).sort(), ["index.js", "lib"]);
  assert.equal(tampered.length, 1);
});

test("after a restart, a tree changed while the runner was down is not trusted: every file is hashed against the manifest", async (t) => {
  const { store, make, tampered } = await setup(t);
  const { sha256 } = await store.put(zipOf(HANDLER));
  const dir = await make().ensure(sha256);
  // Same size, same mode, different bytes: only the hash can tell.
  await chmod(join(dir, "index.js"), 0o644);
  await writeFile(join(dir, "index.js"), HANDLER.replace("original", "ORIGINAL"));
  await chmod(join(dir, "index.js"), 0o444);
  const restarted = make();
  assert.equal(await restarted.ensure(sha256), dir);
  assert.equal(await readFile(join(dir, "index.js"), "utf8"), HANDLER);
  assert.match(tampered[0]![1], /index\.js does not match its sha256/);
  // An intact tree from an earlier run is reused without another extraction.
  const again = make();
  await again.ensure(sha256);
  assert.equal(tampered.length, 1);
});

test("a tree left without a manifest (by an older runner) is extracted again", async (t) => {
  const { store, make, cacheDir, tampered } = await setup(t);
  const { sha256 } = await store.put(zipOf(HANDLER));
  await make().ensure(sha256);
  await rm(join(cacheDir, `${sha256}.manifest.json`));
  await make().ensure(sha256);
  assert.match(tampered[0]![1], /no manifest/);
  await stat(join(cacheDir, `${sha256}.manifest.json`));
});

test("gc removes trees no live version uses once idle, keeps live and recently loaded ones, and touches live ones", async (t) => {
  const { store, make, cacheDir } = await setup(t);
  const cache = make();
  const a = (await store.put(zipOf("exports.handler = () => 'a';\n"))).sha256;
  const b = (await store.put(zipOf("exports.handler = () => 'b';\n"))).sha256;
  const c = (await store.put(zipOf("exports.handler = () => 'c';\n"))).sha256;
  for (const sha of [a, b, c]) await cache.ensure(sha);
  const hourAgo = new Date(Date.now() - 3600_000);
  // a: idle and not live; b: idle but live; c: loaded just now.
  for (const sha of [a, b]) await utimes(join(cacheDir, `${sha}.manifest.json`), hourAgo, hourAgo);
  const removed = await cache.gc({ isLive: (sha) => sha === b, maxIdleMs: 600_000 });
  assert.deepEqual(removed, [a]);
  const left = (await readdir(cacheDir)).filter((n) => /^[a-f0-9]{64}$/.test(n)).sort();
  assert.deepEqual(left, [b, c].sort());
  assert.ok(Date.now() - (await stat(join(cacheDir, `${b}.manifest.json`))).mtimeMs < 60_000, "a live tree's last use is refreshed");
  await assert.rejects(stat(join(cacheDir, `${a}.manifest.json`)));
  // A collected tree comes back on the next load.
  assert.equal(await readFile(join(await cache.ensure(a), "index.js"), "utf8"), "exports.handler = () => 'a';\n");
});
