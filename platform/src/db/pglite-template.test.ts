import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { openDatabase } from "./database.ts";
import { ensureTemplate, pgliteVersion, templatePath } from "./pglite-template.ts";

test("the template is keyed by the installed PGlite version and built once", async () => {
  assert.match(templatePath({}), new RegExp(`pglite-${pgliteVersion().replace(/\./g, "\\.")}-datadir\\.tgz$`));
  const first = await ensureTemplate();
  assert.ok(existsSync(first.path));
  assert.deepEqual(await ensureTemplate(), { path: first.path, built: false });
});

test("a new data directory restored from the template is a working, migrated database that reopens", async () => {
  await ensureTemplate();
  const dir = await mkdtemp(join(tmpdir(), "hs-tpl-"));
  try {
    const t0 = performance.now();
    const db = await openDatabase({ kind: "pglite", dir: join(dir, "pglite") });
    const ms = performance.now() - t0;
    await db.db.execute(sql`insert into api_keys (id, name, secret_hash, secret_enc, role) values ('tmpl1234', 'x', 'h', 'e', 'admin')`);
    await db.close();
    assert.ok(existsSync(join(dir, "pglite", "PG_VERSION")), "a real data directory was written");
    const again = await openDatabase({ kind: "pglite", dir: join(dir, "pglite") });
    const rows = await again.db.execute(sql`select count(*)::int as n from api_keys where id = 'tmpl1234'`);
    assert.equal((rows as unknown as { rows: Array<{ n: number }> }).rows[0]!.n, 1, "the data survived a reopen");
    await again.close();
    process.stderr.write(`fresh data dir from the template: ${Math.round(ms)} ms\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a template that does not restore falls back to initdb on a new directory", { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "hs-tpl-bad-"));
  const bad = join(dir, "corrupt.tgz");
  await writeFile(bad, Buffer.from("this is not a gzip tarball"));
  const saved = process.env.HOTSWAP_PGLITE_TEMPLATE;
  process.env.HOTSWAP_PGLITE_TEMPLATE = bad;
  try {
    const db = await openDatabase({ kind: "pglite", dir: join(dir, "pglite") });
    await db.ping();
    await db.close();
    assert.ok(existsSync(join(dir, "pglite", "PG_VERSION")));
  } finally {
    if (saved === undefined) delete process.env.HOTSWAP_PGLITE_TEMPLATE;
    else process.env.HOTSWAP_PGLITE_TEMPLATE = saved;
    await rm(dir, { recursive: true, force: true });
  }
});
