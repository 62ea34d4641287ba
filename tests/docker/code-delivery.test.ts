/**
 * Code delivery into containers through the runner's code volume and loader: a code directory
 * arrives byte for byte (large files in pieces, modes, symlinks, deep trees, empty files), is
 * uploaded once per version and shared read-only by its containers, and reaches a stem at
 * specialisation as the same tree at /var/task.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Instance } from "../../runner/src/backends/backend.ts";
import { fixtureSpec } from "../../runner/src/backends/backend.contract.ts";
import type { DockerBackend, DockerInstance } from "../../runner/src/backends/docker/index.ts";
import { docker, dockerSkipReason, testBackend } from "./support.ts";

const skip = await dockerSkipReason();

/** A handler that describes its own code tree: path → size, mode, sha256 or symlink target. */
const LISTING_HANDLER = `
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");
function walk(dir, rel, out) {
  for (const name of fs.readdirSync(dir).sort()) {
    const abs = path.join(dir, name);
    const key = rel ? rel + "/" + name : name;
    const st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) out[key] = { link: fs.readlinkSync(abs) };
    else if (st.isDirectory()) walk(abs, key, out);
    else out[key] = { size: st.size, exec: (st.mode & 0o111) !== 0, sha: crypto.createHash("sha256").update(fs.readFileSync(abs)).digest("hex") };
  }
  return out;
}
exports.handler = async () => walk(process.env.LAMBDA_TASK_ROOT, "", {});
`;

describe("code delivery into containers", { skip }, () => {
  let backend: DockerBackend;
  let dir: string;
  let expected: Record<string, unknown>;
  const started: Instance[] = [];

  before(async () => {
    backend = testBackend("code");
    dir = await mkdtemp(join(tmpdir(), "hs-docker-code-"));
    const big = randomBytes(9 * 1024 * 1024 + 123);
    const files: Record<string, Buffer | string> = {
      "index.js": LISTING_HANDLER,
      "package.json": '{"type":"commonjs"}',
      "big.bin": big,
      "empty.txt": "",
      "bin/tool.sh": "#!/bin/sh\necho tool\n",
      "nested/deep/a/b/c.txt": "deep",
    };
    expected = {};
    for (const [rel, body] of Object.entries(files)) {
      await mkdir(join(dir, rel, ".."), { recursive: true });
      await writeFile(join(dir, rel), body);
      const buf = Buffer.from(body);
      expected[rel] = { size: buf.length, exec: rel === "bin/tool.sh", sha: createHash("sha256").update(buf).digest("hex") };
    }
    await chmod(join(dir, "bin/tool.sh"), 0o755);
    await symlink("index.js", join(dir, "main.js"));
    expected["main.js"] = { link: "index.js" };
  });
  after(async () => {
    for (const i of started) i.kill("killed");
    await backend?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function listing(inst: Instance): Promise<unknown> {
    const r = await inst.invoke({ requestId: `list-${Date.now()}`, payload: Buffer.from("{}"), deadlineMs: Date.now() + 10_000 });
    assert.equal(r.kind, "success", JSON.stringify(r.kind === "platform-error" ? r : r.payload.toString()));
    return JSON.parse((r as { payload: Buffer }).payload.toString());
  }

  test("a fresh container sees the code directory byte for byte: large files, modes, symlinks, deep trees, empty files", async () => {
    const spec = fixtureSpec("code-tree", "nodejs20", { codeSha256: "a".repeat(64) });
    const inst = await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 256, spec, codeDir: dir });
    started.push(inst);
    assert.deepEqual(await listing(inst), expected);
  });

  test("a version is uploaded once: its containers share one read-only directory", async () => {
    const spec = fixtureSpec("code-tree", "nodejs20", { codeSha256: "b".repeat(64) });
    const a = (await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 256, spec, codeDir: dir })) as DockerInstance;
    const b = (await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 256, spec, codeDir: dir })) as DockerInstance;
    started.push(a, b);
    const [ma, mb] = await Promise.all([a, b].map(async (i) => (await docker.getContainer(i.container.id).inspect()).Mounts[0]));
    assert.equal(ma.Source, mb.Source);
    assert.equal(ma.RW, false);
    assert.match(ma.Source, /\/v\/[0-9a-f]{32}$/);
  });

  test("a stem specialised with the code sees the same tree at /var/task, in a directory of its own", async () => {
    const stem = (await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 256 })) as DockerInstance;
    started.push(stem);
    await stem.specialise(fixtureSpec("code-tree", "nodejs20", { codeSha256: "a".repeat(64) }), dir);
    assert.deepEqual(await listing(stem), expected);
    const mount = (await docker.getContainer(stem.container.id).inspect()).Mounts[0];
    assert.match(mount.Source, /\/s\/[0-9a-f]{32}$/);
    assert.equal(mount.RW, false);
  });
});
