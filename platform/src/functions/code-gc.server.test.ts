/**
 * The code collector as `hotswap server` wires it, on the embedded stores (PGlite, fs) and on the
 * real servers (Postgres, Redis, S3): deleting a function through the API deletes the zips only it
 * used, and the periodic pass (HOTSWAP_CODE_GC_INTERVAL) sweeps an orphan once its grace is over.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { forEachMode, it } from "../../../tests/support/platform.ts";
import { apiOf, deployFunction, expectOk, nodeCode } from "../../../tests/support/deploy.ts";
import { zipFiles } from "../../../tests/support/zip.ts";
import { waitFor } from "../../../tests/support/wait-for.ts";
import { createCodeStore, type CodeStore } from "../../../shared/code-store/index.ts";
import { loadConfig } from "../config.ts";

const GRACE_S = 2;

forEachMode(
  "code collection in the server",
  (p) => {
    async function withStore<T>(fn: (store: CodeStore) => Promise<T>): Promise<T> {
      const cfg = loadConfig(p().env!).codeStore;
      const store = await createCodeStore(cfg.kind === "fs" ? { kind: "fs", dir: resolve(cfg.dir) } : cfg);
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    }

    it("DELETE /functions/{name} deletes the zips only that function's versions used", async () => {
      // One zip, published twice: zipping again could stamp another time and give other bytes.
      const shared = zipFiles({ "index.js": "exports.handler = async () => 'shared'" });
      await deployFunction(p(), { name: "gc-a", code: [nodeCode("exports.handler = async () => 'own'"), shared] });
      await deployFunction(p(), { name: "gc-b", code: shared });
      const api = apiOf(p());
      const [own, sharedSha] = expectOk(await api.versions.list("gc-a"), "listing gc-a's versions").versions.map((v) => v.codeSha256);
      await withStore(async (store) => {
        assert.equal(await store.has(own), true);
        await new Promise((r) => setTimeout(r, GRACE_S * 1000 + 100)); // past the grace period
        expectOk(await api.functions.delete("gc-a"), "deleting gc-a");
        assert.equal(await store.has(own), false, "the zip only gc-a used is deleted with it");
        assert.equal(await store.has(sharedSha), true, "the zip gc-b's version shares stays");
        expectOk(await api.functions.delete("gc-b"), "deleting gc-b");
        assert.equal(await store.has(sharedSha), false);
      });
    });

    it("the periodic pass deletes an orphan zip nothing references", async () => {
      await withStore(async (store) => {
        const orphan = (await store.put(randomBytes(1000))).sha256;
        await waitFor("the collector deleted the orphan", async () => !(await store.has(orphan)), { timeoutMs: 10_000, intervalMs: 100 });
      });
    });
  },
  // A short grace still protects each upload until its version row is committed.
  { HOTSWAP_CODE_GC_GRACE: String(GRACE_S), HOTSWAP_CODE_GC_INTERVAL: "1" },
);
