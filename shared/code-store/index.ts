/**
 * Code store: picks the adapter from configuration (S3 when an endpoint is set, else a local directory)
 * and prepares it (creates the bucket or the directory). The S3 adapter (and the AWS SDK under it)
 * is loaded only when configured.
 */
import type { CodeStore } from "./code-store.ts";
import { FsCodeStore } from "./fs-code-store.ts";

export type CodeStoreConfig =
  | { kind: "s3"; endpoint: string; bucket: string; region: string; accessKeyId?: string; secretAccessKey?: string }
  | { kind: "fs"; dir: string };

/** Build the configured code store and run its init() (bucket or directory creation). */
export async function createCodeStore(cfg: CodeStoreConfig): Promise<CodeStore> {
  if (cfg.kind === "s3") {
    const { S3CodeStore } = await import("./s3-code-store.ts");
    const store = new S3CodeStore(cfg);
    try {
      await store.init();
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }
  const store = new FsCodeStore(cfg.dir);
  await store.init();
  return store;
}

export type { CodeStore, StoredCode } from "./code-store.ts";
export { CodeCorruptError } from "./code-integrity.ts";
export { FsCodeStore } from "./fs-code-store.ts";
