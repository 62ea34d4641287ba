/**
 * FsCodeStore: the contract suite on a temporary directory, plus layout and atomic-write checks.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runCodeStoreContract } from "./code-store.contract.ts";
import { FsCodeStore } from "./fs-code-store.ts";
import { createCodeStore } from "./index.ts";

runCodeStoreContract("fs", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hs-code-fs-"));
  const store = new FsCodeStore(join(dir, "code"));
  await store.init();
  return {
    store,
    corrupt: (sha256, bytes) => writeFile(join(dir, "code", sha256.slice(0, 2), `${sha256}.zip`), bytes),
    plantForeign: async () => {
      await mkdir(join(dir, "code", "ab"), { recursive: true });
      await writeFile(join(dir, "code", "ab", `${"ab".repeat(32)}.zip.1.x.tmp`), "partial");
      await writeFile(join(dir, "code", "ab", `${"cd".repeat(32)}.zip`), "wrong shard");
      await writeFile(join(dir, "code", "README"), "not code");
    },
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe("FsCodeStore", () => {
  it("stores objects at <dir>/<sha[0:2]>/<sha>.zip and leaves no temp files behind", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hs-code-fs-"));
    try {
      const store = await createCodeStore({ kind: "fs", dir });
      assert.equal(store.kind, "fs");
      const stored = await store.put(randomBytes(100));
      const expected = join(dir, stored.sha256.slice(0, 2), `${stored.sha256}.zip`);
      assert.equal(fileURLToPath(stored.location), expected);
      await Promise.all([store.put(randomBytes(10)), store.put(randomBytes(10))]);
      const shards = await readdir(dir);
      for (const shard of shards) {
        for (const f of await readdir(join(dir, shard))) assert.match(f, /^[0-9a-f]{64}\.zip$/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("ping fails with a message naming the directory when it cannot be created", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hs-code-fs-"));
    try {
      await writeFile(join(dir, "file"), "x");
      const store = new FsCodeStore(join(dir, "file", "code"));
      await assert.rejects(store.ping(), /Code store directory .*file\/code is not usable/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
