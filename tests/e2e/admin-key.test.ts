/**
 * The first admin key is never lost, tried as a new user would with real `hotswap` processes: a
 * first start that fails (its port is taken) creates no key; the next start prints one; the offline
 * `hotswap admin reset-key` revokes it and prints a new one; `hotswap secrets rotate-key` re-seals
 * every secret under a fresh key in secret.key; and a restart serves the function its secret with
 * only the new admin key accepted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiClient } from "../../client/index.ts";
import { runCli, spawnServer, stopAll, waitForOutput, type ServerProcess } from "../support/cli.ts";
import { deployFunction, expectOk, invokeFunction, nodeCode } from "../support/deploy.ts";

const KEY = /(hs_[a-z0-9]+_[A-Za-z0-9]{32,})/;
const DB_PASSWORD = `pw-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

async function takenPort(): Promise<{ port: number; close(): Promise<void> }> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { port: (srv.address() as { port: number }).port, close: () => new Promise((r) => srv.close(() => r())) };
}

async function stop(s: ServerProcess): Promise<void> {
  s.child.kill("SIGTERM");
  assert.equal(await s.exited, 0, s.output());
}

test("a failed first start keeps no unseen admin key; the next start prints it; reset-key and rotate-key work offline", { timeout: 180_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "hs-admin-key-"));
  const env = { HOTSWAP_DATA_DIR: dataDir, HOST: "127.0.0.1" };
  const servers: ServerProcess[] = [];
  const taken = await takenPort();
  try {
    // 1. The port is taken: the start fails, prints no key, and stores none.
    const failed = spawnServer({ ...env, PORT: String(taken.port) });
    servers.push(failed);
    assert.equal(await failed.exited, 1, failed.output());
    assert.match(failed.output(), /start-up failed/);
    assert.doesNotMatch(failed.output(), KEY);

    // 2. A restart on a free port prints the key, which works.
    const second = spawnServer({ ...env, PORT: "0" });
    servers.push(second);
    const [, url] = await waitForOutput(second, /serving on (http:\/\/\S+)/, 30_000);
    const [, firstKey] = await waitForOutput(second, KEY, 5_000);
    const target = { url: url!, key: firstKey! };
    await deployFunction(target, { name: "sec", secrets: { DB_PASSWORD }, code: nodeCode("exports.handler = async () => ({ ok: process.env.DB_PASSWORD === " + JSON.stringify(DB_PASSWORD) + " });") });
    assert.deepEqual((await invokeFunction(target, "sec")).json, { ok: true });
    await stop(second);

    // 3. Offline recovery: revoke the lost key, print a new one.
    const reset = await runCli(["admin", "reset-key"], env);
    assert.equal(reset.code, 0, reset.stderr);
    const firstId = firstKey!.split("_")[1];
    assert.match(reset.stdout, new RegExp(`Revoked admin key: ${firstId}`));
    const newKey = reset.stdout.match(KEY)?.[1];
    assert.ok(newKey && newKey !== firstKey, reset.stdout);
    const usage = await runCli(["admin", "nope"], env);
    assert.equal(usage.code, 2);

    // 4. Offline key rotation: a fresh key first in secret.key, every value re-sealed under it.
    const before = (await readFile(join(dataDir, "secret.key"), "utf8")).trim().split("\n");
    const rotate = await runCli(["secrets", "rotate-key"], env);
    assert.equal(rotate.code, 0, rotate.stderr);
    assert.match(rotate.stdout, /1 function secret\(s\), 1 version secret\(s\), 2 API key secret\(s\); 0 already current/);
    const afterLines = (await readFile(join(dataDir, "secret.key"), "utf8")).trim().split("\n");
    assert.equal(afterLines.length, before.length + 1);
    assert.deepEqual(afterLines.slice(1), before);

    // 5. A restart prints no key; the revoked key is refused, the new one works, and the secret still reaches the function.
    const third = spawnServer({ ...env, PORT: "0" });
    servers.push(third);
    const [, url3] = await waitForOutput(third, /serving on (http:\/\/\S+)/, 30_000);
    assert.doesNotMatch(third.output(), KEY);
    const old = await createApiClient({ baseUrl: url3!, apiKey: firstKey! }).functions.list();
    assert.equal(!old.ok && old.error.status, 401);
    const fresh = { url: url3!, key: newKey! };
    expectOk(await createApiClient({ baseUrl: url3!, apiKey: newKey! }).functions.list(), "list with the new key");
    assert.deepEqual((await invokeFunction(fresh, "sec")).json, { ok: true });
    const audit = expectOk(await createApiClient({ baseUrl: url3!, apiKey: newKey! }).audit.list({ actor: "cli:admin-reset-key" }), "audit").entries;
    assert.deepEqual(audit.map((e) => e.action).sort(), ["apikey.create", "apikey.revoke"]);
    await stop(third);
  } finally {
    await taken.close();
    await stopAll(servers);
    await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
});
