/**
 * Code store adapter on a local directory (the embedded default): `<dir>/<sha[0:2]>/<sha>.zip`.
 * Writes go to a unique temp file that is fsynced and renamed into place, so readers never see a
 * partial object and concurrent puts of the same bytes are harmless.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, mkdir, open, readdir, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { CodeObject, CodeStore, StoredCode } from "./code-store.ts";
import { checkSha256, CodeCorruptError, objectName, sha256Hex } from "./code-integrity.ts";

const OBJECT_FILE = /^([0-9a-f]{64})\.zip$/;

export class FsCodeStore implements CodeStore {
  readonly kind = "fs" as const;
  readonly dir: string;

  /** `dir` is created on init() or on the first put. */
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Create the directory. Idempotent. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async put(data: Buffer): Promise<StoredCode> {
    const sha256 = sha256Hex(data);
    const file = this.path(sha256);
    const stored = { sha256, size: data.length, location: pathToFileURL(file).href };
    // Already there and intact: a no-op. A damaged copy (wrong size or hash) is replaced.
    const existing = await stat(file).catch(() => undefined);
    if (existing?.isFile() && existing.size === data.length) {
      const current = await readFile(file).catch(() => undefined);
      if (current && sha256Hex(current) === sha256) {
        // Refresh its age: the collector spares young objects, and this one is about to be referenced.
        const now = new Date();
        await utimes(file, now, now);
        return stored;
      }
    }

    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      const fh = await open(tmp, "wx");
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return stored;
  }

  async get(sha256: string): Promise<Buffer | null> {
    const sha = checkSha256(sha256);
    const file = this.path(sha);
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
    const actual = sha256Hex(data);
    if (actual !== sha) throw new CodeCorruptError(sha, actual, pathToFileURL(file).href);
    return data;
  }

  async has(sha256: string): Promise<boolean> {
    const s = await stat(this.path(checkSha256(sha256))).catch(() => undefined);
    return s?.isFile() ?? false;
  }

  async stat(sha256: string): Promise<CodeObject | null> {
    const sha = checkSha256(sha256);
    const s = await stat(this.path(sha)).catch(() => undefined);
    return s?.isFile() ? { sha256: sha, size: s.size, modifiedAt: s.mtime } : null;
  }

  async *list(): AsyncIterable<CodeObject> {
    const shards = await readdir(this.dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return [];
      throw e;
    });
    for (const shard of shards) {
      if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) continue;
      const names = await readdir(join(this.dir, shard.name)).catch(() => [] as string[]);
      for (const name of names) {
        const sha = OBJECT_FILE.exec(name)?.[1];
        if (!sha || sha.slice(0, 2) !== shard.name) continue;
        // Gone since readdir (a concurrent delete): skip it.
        const s = await stat(join(this.dir, shard.name, name)).catch(() => undefined);
        if (s?.isFile()) yield { sha256: sha, size: s.size, modifiedAt: s.mtime };
      }
    }
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.path(checkSha256(sha256)), { force: true });
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      await access(this.dir, constants.R_OK | constants.W_OK);
    } catch (e) {
      throw new Error(`Code store directory ${this.dir} is not usable: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {}

  private path(sha256: string): string {
    return join(this.dir, ...objectName(sha256).split("/"));
  }
}
