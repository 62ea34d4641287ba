/**
 * Finding 7 (files): `hotswap server` creates its data dir 0700 (and tightens one an older version
 * left open) and runs with umask 077, so nothing it writes there (secret.key, the PGlite database)
 * is readable by another user or by a sandboxed function. PGlite restores its files with the modes
 * of its template (0666) whatever the umask, so opening the database takes group and other bits
 * off them: no file under the data dir has any, and another user really cannot open them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, lstat, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer, waitForOutput } from "../support/cli.ts";

/** Every file below `dir`. */
async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesBelow(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** The files among `files` that user `uid` (not the owner) can open for reading. */
function readableBy(uid: number, files: string[]): string[] {
  const script = "const fs = require('fs'); const ok = []; for (const f of JSON.parse(process.argv[1])) { try { fs.closeSync(fs.openSync(f, 'r')); ok.push(f); } catch {} } process.stdout.write(JSON.stringify(ok));";
  const r = spawnSync(process.execPath, ["-e", script, JSON.stringify(files)], { uid, gid: uid, cwd: "/", encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

for (const preexisting of [false, true]) {
  test(`the data dir is 0700, secret.key 0600, and no other user can open any file in it (${preexisting ? "an existing 0755 dir" : "a new dir"})`, { timeout: 90_000 }, async (t) => {
    const parent = await mkdtemp(join(tmpdir(), "hs-sec-files-"));
    t.after(() => rm(parent, { recursive: true, force: true }));
    const dataDir = join(parent, "data");
    // The parent is open, as a home or /srv directory would be: the data dir alone must protect.
    await chmod(parent, 0o755);
    if (preexisting) {
      await mkdir(dataDir, { mode: 0o755 });
      await chmod(dataDir, 0o755);
    }
    const server = spawnServer({ HOTSWAP_DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1" });
    t.after(async () => {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
      await server.exited;
    });
    const [, url] = await waitForOutput(server, /is serving on (http:\/\/\S+)/, 60_000);
    // An answered request means the server is past start-up, signal handlers included.
    await fetch(`${url}/api/v1/functions`);
    server.child.kill("SIGTERM");
    assert.equal(await server.exited, 0, server.output());
    assert.equal((await lstat(dataDir)).mode & 0o777, 0o700);
    const names = await readdir(dataDir);
    assert.ok(names.includes("secret.key"), `secret.key was written: ${names.join(", ")}`);
    assert.ok(names.length > 1, "the database was written too");
    assert.equal((await lstat(join(dataDir, "secret.key"))).mode & 0o777, 0o600);
    const files = await filesBelow(dataDir);
    assert.ok(files.some((f) => f.includes("pglite")), "PGlite's files are there");
    const open: string[] = [];
    for (const f of files) {
      const mode = (await lstat(f)).mode & 0o777;
      if ((mode & 0o077) !== 0) open.push(`${f.slice(dataDir.length + 1)} ${mode.toString(8)}`);
    }
    assert.deepEqual(open.slice(0, 10), [], `${open.length} of ${files.length} files have group or other permission bits`);
    if (process.getuid?.() === 0) assert.deepEqual(readableBy(200_000 - 1, files), [], "another user opens none of the data dir's files");
  });
}
