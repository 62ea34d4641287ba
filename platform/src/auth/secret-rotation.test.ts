/**
 * Key rotation on real Postgres: values sealed under key A (a function's secrets, its version's
 * snapshot, an API key secret) are re-sealed under key B by resealAll with the ring [B, A]; then B
 * alone opens them all, A alone opens none (the routing table then refuses that version with the
 * reason), and a second sweep changes nothing.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createTestDatabase, serviceSkipReason, TEST_DATABASE_URL, type TestDatabase } from "../../../tests/support/services.ts";
import { createRepositories, openDatabase, type Database, type Repositories } from "../db/index.ts";
import { MemoryStateStore } from "../../../shared/state/index.ts";
import { RoutingTable, buildSpec } from "../router/routing-table.ts";
import { sealSecrets } from "../functions/function-secrets.ts";
import { generateApiKey } from "./api-key.ts";
import { newApiKeyRecord } from "./key-store.ts";
import { SecretBox } from "./secret-box.ts";
import { resealAll } from "./secret-rotation.ts";

const DB_PASSWORD = `pw-${randomBytes(12).toString("hex")}`;

describe("resealAll on Postgres", async () => {
  const skip = await serviceSkipReason("postgres", TEST_DATABASE_URL);
  let db: TestDatabase;
  let database: Database;
  let repos: Repositories;
  const keyA = randomBytes(32);
  const keyB = randomBytes(32);
  const boxA = new SecretBox(keyA);
  const apiKey = generateApiKey();

  before(async () => {
    if (skip) return;
    db = await createTestDatabase();
    database = await openDatabase({ kind: "postgres", url: db.url });
    repos = createRepositories(database.db);
    await repos.functions.create({ name: "rot", runtime: "nodejs20", handler: "index.handler", memorySize: 128, timeout: 3, environment: { PLAIN: "1" }, secrets: sealSecrets(boxA, "rot", { DB_PASSWORD }) });
    await repos.versions.publish("rot", { codeSha256: "a".repeat(64), codeSize: 1, codeLocation: "x" });
    const rec = newApiKeyRecord({ box: boxA, id: apiKey.id, secret: apiKey.secret, name: "ci", role: "admin" });
    await repos.apiKeys.insert(rec);
  });
  after(async () => {
    await database?.close();
    await db?.drop();
  });

  it("moves every value to the current key; the new key alone then opens them and the old one does not", { skip }, async () => {
    const ring = new SecretBox([keyB, keyA]);
    const report = await resealAll(repos.sealedSecrets, ring);
    assert.deepEqual(report, { keyId: ring.keyId, functions: 1, versions: 1, apiKeys: 1, unchanged: 0 });

    const boxB = new SecretBox(keyB);
    const fn = (await repos.functions.get("rot"))!;
    const v1 = (await repos.versions.get("rot", 1))!;
    assert.equal(fn.secrets.DB_PASSWORD.split(":")[1], boxB.keyId);
    assert.equal(v1.secrets.DB_PASSWORD.split(":")[1], boxB.keyId);
    assert.deepEqual(buildSpec(fn, v1, boxB).environment, { PLAIN: "1", DB_PASSWORD });
    assert.equal(boxB.decrypt((await repos.apiKeys.get(apiKey.id))!.secretEnc, apiKey.id), apiKey.secret);
    assert.throws(() => buildSpec(fn, v1, boxA), /does not hold/);

    // A replica still on the old key alone refuses that version with the reason, not "not found".
    const routing = new RoutingTable(repos, new MemoryStateStore(), { secrets: boxA });
    await routing.refreshAll();
    assert.throws(() => routing.resolve("rot", "1"), (e: Error & { code?: string }) => e.code === "ServiceUnavailable" && /does not hold/.test(e.message) && !e.message.includes(DB_PASSWORD));
  });

  it("changes nothing the second time", { skip }, async () => {
    const before = (await repos.functions.get("rot"))!.secrets;
    const report = await resealAll(repos.sealedSecrets, new SecretBox([keyB, keyA]));
    assert.deepEqual([report.functions, report.versions, report.apiKeys, report.unchanged], [0, 0, 0, 3]);
    assert.deepEqual((await repos.functions.get("rot"))!.secrets, before);
  });

  it("names the record, never the value, when a value cannot be opened", { skip }, async () => {
    await assert.rejects(resealAll(repos.sealedSecrets, new SecretBox(randomBytes(32))), (e: Error) => /function "rot"/.test(e.message) && !e.message.includes(DB_PASSWORD));
  });
});
