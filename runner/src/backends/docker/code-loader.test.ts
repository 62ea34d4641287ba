/**
 * The code loader (runtimes/node/code-loader.mjs) on its own, as a local process over pipes, with
 * a temporary directory for its code root: each request does what it says, replies in order, and
 * nothing can write outside the root. (In production it runs in a container, driven through the
 * Docker attach stream; tests/docker covers that path.)
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFrame, FrameDecoder, type FrameHeader } from "../../../../protocol/frame.ts";

const LOADER = fileURLToPath(new URL("../../../../runtimes/node/code-loader.mjs", import.meta.url));

let dir: string;
let root: string;
let child: ChildProcessWithoutNullStreams;
let nextId = 1;
const waiting = new Map<number, (h: FrameHeader) => void>();
let hello: Promise<FrameHeader>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-code-loader-"));
  root = join(dir, "code");
  await mkdir(join(dir, "outside"));
  child = spawn(process.execPath, [LOADER], { env: { HOTSWAP_CODE_ROOT: root }, stdio: ["pipe", "pipe", "pipe"] });
  child.stderr.resume();
  let sayHello!: (h: FrameHeader) => void;
  hello = new Promise((r) => (sayHello = r));
  const decoder = new FrameDecoder(({ header }) => {
    if (header.type === "hello") return sayHello(header);
    waiting.get(header.id as number)?.(header);
  });
  child.stdout.on("data", (c: Buffer) => decoder.push(c));
});
after(async () => {
  child.kill();
  await rm(dir, { recursive: true, force: true });
});

function request(header: Record<string, unknown> & { type: string }, body?: Buffer | string): Promise<FrameHeader> {
  const id = nextId++;
  const reply = new Promise<FrameHeader>((r) => waiting.set(id, r));
  child.stdin.write(encodeFrame({ ...header, id }, body));
  return reply;
}

async function ok(header: Record<string, unknown> & { type: string }, body?: Buffer | string): Promise<void> {
  const r = await request(header, body);
  assert.equal(r.type, "ok", JSON.stringify(r));
}

async function refused(header: Record<string, unknown> & { type: string }, pattern: RegExp): Promise<void> {
  const r = await request(header, "x");
  assert.equal(r.type, "error");
  assert.match(String(r.message), pattern);
}

test("says hello with its root, and writes files with their modes, in pieces, under new directories", async () => {
  assert.equal((await hello).root, root);
  await ok({ type: "mkdir", path: "v/.tmp-1", mode: 0o755 });
  await ok({ type: "write", path: "v/.tmp-1/src/app.js", mode: 0o644 }, "exports.x = 1;\n");
  await ok({ type: "write", path: "v/.tmp-1/bootstrap", mode: 0o755 }, "#!/bin/sh\n");
  await ok({ type: "write", path: "v/.tmp-1/big.bin", mode: 0o644 }, Buffer.alloc(5, 1));
  await ok({ type: "write", path: "v/.tmp-1/big.bin", mode: 0o644, append: true }, Buffer.alloc(3, 2));
  await ok({ type: "write", path: "v/.tmp-1/empty", mode: 0o644 });
  await ok({ type: "symlink", path: "v/.tmp-1/lib", target: "src" });
  await ok({ type: "rename", from: "v/.tmp-1", to: "v/key1" });
  const v = join(root, "v/key1");
  assert.equal(readFileSync(join(v, "src/app.js"), "utf8"), "exports.x = 1;\n");
  assert.equal(statSync(join(v, "bootstrap")).mode & 0o777, 0o755);
  assert.equal(statSync(join(v, "src/app.js")).mode & 0o777, 0o644);
  assert.deepEqual([...readFileSync(join(v, "big.bin"))], [1, 1, 1, 1, 1, 2, 2, 2]);
  assert.equal(statSync(join(v, "empty")).size, 0);
  assert.equal(readlinkSync(join(v, "lib")), "src");
  assert.equal(existsSync(join(root, "v/.tmp-1")), false);
});

test("link makes a hard-linked copy of a tree (no data copied), and remove deletes it", async () => {
  await ok({ type: "link", from: "v/key1", to: "s/stem-a" });
  const s = join(root, "s/stem-a");
  assert.equal(statSync(join(s, "src/app.js")).ino, statSync(join(root, "v/key1/src/app.js")).ino);
  assert.ok(lstatSync(join(s, "lib")).isSymbolicLink());
  await ok({ type: "remove", path: "s/stem-a" });
  assert.equal(existsSync(s), false);
  assert.equal(existsSync(join(root, "v/key1/src/app.js")), true, "the source tree stays");
});

test("refuses paths that leave the root, writes through symlinks, and unknown requests, and keeps serving", async () => {
  await refused({ type: "write", path: "../outside/x", mode: 0o644 }, /leaves the code root/);
  await refused({ type: "write", path: "/etc/x", mode: 0o644 }, /bad path/);
  await refused({ type: "remove", path: "v/../../outside" }, /leaves the code root/);
  await ok({ type: "symlink", path: "v/escape", target: join(dir, "outside") });
  await refused({ type: "write", path: "v/escape/x", mode: 0o644 }, /outside the code root/);
  await ok({ type: "symlink", path: "v/file-link", target: join(dir, "outside", "target") });
  await refused({ type: "write", path: "v/file-link", mode: 0o644 }, /ELOOP|symbolic link/);
  assert.equal(existsSync(join(dir, "outside", "x")), false);
  assert.equal(existsSync(join(dir, "outside", "target")), false);
  await refused({ type: "chmod", path: "v/key1" }, /unknown request type/);
  await ok({ type: "mkdir", path: "still/serving", mode: 0o755 });
});

test("exits 0 when its stdin ends", async () => {
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  child.stdin.end();
  assert.equal(await exited, 0);
});
