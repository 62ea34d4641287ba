/**
 * Contract suite for the database port: every adapter (PGlite, Postgres) must pass it.
 * Run by pglite.test.ts and postgres.test.ts. One database is opened per run and shared by the
 * tests, which use unique names so they never see each other's rows.
 * Functions, versions and aliases are here; the other repositories are in database-ops.contract.ts.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { count, eq, sql } from "drizzle-orm";
import { DuplicateError } from "./errors.ts";
import { createRepositories } from "./repositories/index.ts";
import { functionAliases, functions, functionVersions } from "./schema.ts";
import { runOperationsContract } from "./database-ops.contract.ts";
import { runLayersContract } from "./layers.contract.ts";
import { functionInput, publishInput, uniqueName, type ContractContext, type OpenedDatabase } from "./contract-support.ts";

export type { OpenedDatabase } from "./contract-support.ts";

/**
 * Register the database contract suite under `label`. `open` must return a fresh, migrated
 * database each call (the suite opens one for its tests and one more to test close), and
 * `cleanup` must close it and release anything it created.
 */
export function runDatabaseContract(label: string, open: () => Promise<OpenedDatabase>): void {
  describe(`database contract: ${label}`, () => {
    const ctx = { open } as ContractContext;
    let opened: OpenedDatabase;
    before(async () => {
      opened = await open();
      ctx.database = opened.database;
      ctx.repos = createRepositories(opened.database.db);
    });
    after(async () => {
      await opened?.cleanup();
    });

    describeConnection(ctx);
    describeFunctions(ctx);
    describeVersions(ctx);
    describeAliases(ctx);
    runOperationsContract(ctx);
    runLayersContract(ctx);
  });
}

function describeConnection(ctx: ContractContext): void {
  describe("connection", () => {
    test("ping resolves on an open database", async () => {
      await ctx.database.ping();
    });

    test("ping rejects after close, and close is idempotent", async () => {
      const other = await ctx.open();
      try {
        await other.database.close();
        await other.database.close();
        await assert.rejects(other.database.ping());
      } finally {
        await other.cleanup();
      }
    });
  });
}

function describeFunctions(ctx: ContractContext): void {
  describe("functions", () => {
    test("create fills the column defaults", async () => {
      const name = uniqueName("fn");
      const fn = await ctx.repos.functions.create(functionInput(name));
      assert.match(fn.id, /^[0-9a-f-]{36}$/);
      assert.equal(fn.name, name);
      assert.deepEqual(
        {
          environment: fn.environment,
          description: fn.description,
          tags: fn.tags,
          protocol: fn.protocol,
          instanceConcurrency: fn.instanceConcurrency,
          maxInstances: fn.maxInstances,
          reservedConcurrency: fn.reservedConcurrency,
          provisionedConcurrency: fn.provisionedConcurrency,
          keepWarm: fn.keepWarm,
          scaling: fn.scaling,
          latestVersion: fn.latestVersion,
        },
        {
          environment: {},
          description: "",
          tags: {},
          protocol: "fast",
          instanceConcurrency: 1,
          maxInstances: null,
          reservedConcurrency: null,
          provisionedConcurrency: 0,
          keepWarm: null,
          scaling: null,
          latestVersion: 0,
        },
      );
      assert.ok(fn.createdAt instanceof Date && fn.updatedAt instanceof Date);
    });

    test("every field, including jsonb objects, round-trips through create and get", async () => {
      const name = uniqueName("fn");
      const input = functionInput(name, {
        runtime: "python3.12",
        handler: "app.main",
        memorySize: 1024,
        timeout: 900,
        environment: { GREETING: "héllo ✓", QUOTE: `"x"'y'`, EMPTY: "" },
        description: "a description",
        tags: { team: "core", "cost-center": "42" },
        protocol: "runtime-api",
        instanceConcurrency: 8,
        maxInstances: 20,
        reservedConcurrency: 5,
        provisionedConcurrency: 2,
        keepWarm: { schedule: "rate(5 minutes)", concurrency: 3, nested: { on: true, list: [1, "two", null] } },
        scaling: { target: 0.7, minInstances: 0 },
      });
      const created = await ctx.repos.functions.create(input);
      const got = await ctx.repos.functions.get(name);
      assert.deepEqual(got, created);
      const { name: _n, ...config } = input;
      for (const [k, v] of Object.entries(config)) assert.deepEqual(got![k as keyof typeof got], v, k);
    });

    test("jsonb columns hold JSON objects, not JSON-encoded strings", async () => {
      const name = uniqueName("fn");
      await ctx.repos.functions.create(functionInput(name, { environment: { A: "1" }, keepWarm: { on: true } }));
      const [row] = await ctx.database.db
        .select({
          env: sql<string>`jsonb_typeof(${functions.environment})`,
          keepWarm: sql<string>`jsonb_typeof(${functions.keepWarm})`,
          a: sql<string>`${functions.environment} ->> 'A'`,
        })
        .from(functions)
        .where(eq(functions.name, name));
      assert.deepEqual(row, { env: "object", keepWarm: "object", a: "1" });
    });

    test("create throws DuplicateError when the name exists and leaves the original untouched", async () => {
      const name = uniqueName("fn");
      const original = await ctx.repos.functions.create(functionInput(name));
      await assert.rejects(ctx.repos.functions.create(functionInput(name, { handler: "other.handler" })), (e: unknown) => {
        assert.ok(e instanceof DuplicateError, `expected DuplicateError, got ${String(e)}`);
        assert.equal(e.constraint, "functions_name_unique");
        assert.match(e.message, new RegExp(`function "${name}" already exists`));
        return true;
      });
      assert.deepEqual(await ctx.repos.functions.get(name), original);
    });

    test("get returns null for an unknown name", async () => {
      assert.equal(await ctx.repos.functions.get(uniqueName("missing")), null);
    });

    test("list returns functions ordered by name", async () => {
      const prefix = uniqueName("list");
      for (const n of ["c", "a", "b"]) await ctx.repos.functions.create(functionInput(`${prefix}-${n}`));
      const names = (await ctx.repos.functions.list()).map((f) => f.name).filter((n) => n.startsWith(prefix));
      assert.deepEqual(names, [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    });

    test("update applies the patch, keeps other fields, clears nulls and bumps updated_at", async () => {
      const name = uniqueName("fn");
      const created = await ctx.repos.functions.create(
        functionInput(name, { maxInstances: 4, environment: { A: "1" }, tags: { t: "x" } }),
      );
      const updated = await ctx.repos.functions.update(name, {
        memorySize: 512,
        environment: { B: "2" },
        maxInstances: null,
        scaling: { target: 0.5 },
      });
      assert.ok(updated);
      assert.equal(updated.memorySize, 512);
      assert.deepEqual(updated.environment, { B: "2" });
      assert.equal(updated.maxInstances, null);
      assert.deepEqual(updated.scaling, { target: 0.5 });
      assert.equal(updated.handler, created.handler);
      assert.deepEqual(updated.tags, { t: "x" });
      assert.equal(updated.id, created.id);
      assert.equal(updated.createdAt.getTime(), created.createdAt.getTime());
      assert.deepEqual(await ctx.repos.functions.get(name), updated);
      // PGlite's clock ticks in milliseconds, so a fresh row's timestamps could tie: age it first.
      const old = new Date("2000-01-01T00:00:00Z");
      await ctx.database.db.update(functions).set({ updatedAt: old }).where(eq(functions.name, name));
      const bumped = await ctx.repos.functions.update(name, { description: "bumped" });
      assert.ok(bumped && bumped.updatedAt.getTime() > old.getTime());
      assert.equal(bumped.description, "bumped");
    });

    test("update returns null for an unknown name", async () => {
      assert.equal(await ctx.repos.functions.update(uniqueName("missing"), { memorySize: 256 }), null);
    });

    test("delete removes the function and cascades to its versions and aliases", async () => {
      const name = uniqueName("fn");
      const fn = await ctx.repos.functions.create(functionInput(name));
      await ctx.repos.versions.publish(name, publishInput({ codeLocation: "file:///a" }));
      await ctx.repos.versions.publish(name, publishInput({ codeSha256: "b".repeat(64), codeSize: 2, codeLocation: "file:///b" }));
      await ctx.repos.aliases.upsert(name, "live", { version: 1 });
      const countRows = async () => {
        const [v] = await ctx.database.db
          .select({ n: count() })
          .from(functionVersions)
          .where(eq(functionVersions.functionId, fn.id));
        const [a] = await ctx.database.db
          .select({ n: count() })
          .from(functionAliases)
          .where(eq(functionAliases.functionId, fn.id));
        return [Number(v.n), Number(a.n)];
      };
      assert.deepEqual(await countRows(), [2, 1]);
      assert.equal(await ctx.repos.functions.delete(name), true);
      assert.equal(await ctx.repos.functions.get(name), null);
      assert.deepEqual(await countRows(), [0, 0]);
      assert.deepEqual(await ctx.repos.versions.list(name), []);
      assert.deepEqual(await ctx.repos.aliases.list(name), []);
      assert.equal(await ctx.repos.functions.delete(name), false);
    });

    test("a deleted name can be created again and starts at version 1", async () => {
      const name = uniqueName("fn");
      await ctx.repos.functions.create(functionInput(name));
      await ctx.repos.versions.publish(name, publishInput());
      await ctx.repos.functions.delete(name);
      await ctx.repos.functions.create(functionInput(name));
      const v = await ctx.repos.versions.publish(name, publishInput({ codeSha256: "b".repeat(64), codeLocation: "y" }));
      assert.equal(v?.version, 1);
    });
  });
}

function describeVersions(ctx: ContractContext): void {
  describe("versions", () => {
    const code = (n: number) => ({
      codeSha256: String(n).repeat(64).slice(0, 64),
      codeSize: n,
      codeLocation: `file:///${n}`,
    });

    test("publish numbers from 1 and snapshots the function's configuration", async () => {
      const name = uniqueName("fn");
      const fn = await ctx.repos.functions.create(
        functionInput(name, {
          runtime: "nodejs22",
          handler: "main.run",
          memorySize: 256,
          timeout: 10,
          environment: { STAGE: "one" },
          protocol: "runtime-api",
          instanceConcurrency: 4,
        }),
      );
      const v1 = await ctx.repos.versions.publish(name, { ...code(1), description: "first" });
      assert.ok(v1);
      assert.equal(v1.version, 1);
      assert.equal(v1.functionId, fn.id);
      assert.equal(v1.functionName, name);
      assert.deepEqual(
        [v1.codeSha256, v1.codeSize, v1.codeLocation, v1.description],
        [code(1).codeSha256, 1, "file:///1", "first"],
      );
      assert.deepEqual(
        [v1.runtime, v1.handler, v1.memorySize, v1.timeout, v1.environment, v1.protocol, v1.instanceConcurrency],
        ["nodejs22", "main.run", 256, 10, { STAGE: "one" }, "runtime-api", 4],
      );
      assert.equal((await ctx.repos.functions.get(name))?.latestVersion, 1);

      // Later configuration changes reach the next version only: published versions are immutable.
      await ctx.repos.functions.update(name, { environment: { STAGE: "two" }, memorySize: 512 });
      const v2 = await ctx.repos.versions.publish(name, code(2));
      assert.equal(v2?.version, 2);
      assert.equal(v2?.description, "");
      assert.deepEqual([v2?.environment, v2?.memorySize], [{ STAGE: "two" }, 512]);
      assert.deepEqual(await ctx.repos.versions.get(name, 1), v1);
    });

    test("publish returns null for an unknown function", async () => {
      assert.equal(await ctx.repos.versions.publish(uniqueName("missing"), code(1)), null);
    });

    test("list, get and latest", async () => {
      const name = uniqueName("fn");
      await ctx.repos.functions.create(functionInput(name));
      assert.equal(await ctx.repos.versions.latest(name), null);
      assert.deepEqual(await ctx.repos.versions.list(name), []);
      const published = [];
      for (const n of [1, 2, 3]) published.push(await ctx.repos.versions.publish(name, code(n)));
      assert.deepEqual(await ctx.repos.versions.list(name), published);
      assert.deepEqual(await ctx.repos.versions.get(name, 2), published[1]);
      assert.equal(await ctx.repos.versions.get(name, 4), null);
      assert.equal(await ctx.repos.versions.get(uniqueName("missing"), 1), null);
      assert.deepEqual(await ctx.repos.versions.latest(name), published[2]);
    });

    test("listAll returns every function's versions, by function name then version", async () => {
      const [a, b] = [uniqueName("fn"), uniqueName("fn")].sort();
      await ctx.repos.functions.create(functionInput(b));
      await ctx.repos.functions.create(functionInput(a));
      const pb = [await ctx.repos.versions.publish(b, code(1)), await ctx.repos.versions.publish(b, code(2))];
      const pa = [await ctx.repos.versions.publish(a, code(3))];
      const mine = (await ctx.repos.versions.listAll()).filter((v) => v.functionName === a || v.functionName === b);
      assert.deepEqual(mine, [...pa, ...pb]);
    });

    test("10 concurrent publishes yield exactly versions 1..10", async () => {
      const name = uniqueName("fn");
      const other = uniqueName("fn");
      await ctx.repos.functions.create(functionInput(name));
      await ctx.repos.functions.create(functionInput(other));
      const results = await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => ctx.repos.versions.publish(name, code(i + 1))),
        // Interleaved publishes of another function must not share its counter.
        ...Array.from({ length: 3 }, (_, i) => ctx.repos.versions.publish(other, code(i + 1))),
      ]);
      const numbers = results.slice(0, 10).map((v) => v!.version).sort((a, b) => a - b);
      assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.deepEqual(results.slice(10).map((v) => v!.version).sort(), [1, 2, 3]);
      assert.deepEqual((await ctx.repos.versions.list(name)).map((v) => v.version), numbers);
      assert.equal((await ctx.repos.functions.get(name))?.latestVersion, 10);
      assert.equal((await ctx.repos.versions.latest(name))?.version, 10);
    });
  });
}

function describeAliases(ctx: ContractContext): void {
  describe("aliases", () => {
    const setup = async () => {
      const name = uniqueName("fn");
      await ctx.repos.functions.create(functionInput(name));
      for (let i = 0; i < 3; i++) {
        await ctx.repos.versions.publish(name, publishInput({ codeSha256: "c".repeat(64) }));
      }
      return name;
    };

    test("upsert creates with empty weights and reports no previous alias", async () => {
      const fn = await setup();
      const res = await ctx.repos.aliases.upsert(fn, "live", { version: 1 });
      assert.ok(res);
      assert.equal(res.before, null);
      assert.equal(res.alias.functionName, fn);
      assert.equal(res.alias.name, "live");
      assert.equal(res.alias.version, 1);
      assert.deepEqual(res.alias.routingConfig, { additionalVersionWeights: {} });
      assert.equal(res.alias.description, "");
      assert.deepEqual(await ctx.repos.aliases.get(fn, "live"), res.alias);
    });

    test("upsert replaces an alias, returns the previous state, and round-trips weights", async () => {
      const fn = await setup();
      const first = await ctx.repos.aliases.upsert(fn, "live", { version: 1, description: "prod" });
      const routingConfig = { additionalVersionWeights: { "2": 0.1, "3": 0.25 } };
      const second = await ctx.repos.aliases.upsert(fn, "live", { version: 1, routingConfig });
      assert.ok(first && second);
      assert.deepEqual(second.before, first.alias);
      assert.deepEqual(second.alias.routingConfig, routingConfig);
      assert.equal(second.alias.description, "prod", "an omitted description is kept");
      assert.equal(second.alias.id, first.alias.id);
      assert.equal(second.alias.createdAt.getTime(), first.alias.createdAt.getTime());
      assert.ok(second.alias.updatedAt.getTime() >= first.alias.updatedAt.getTime());

      const third = await ctx.repos.aliases.upsert(fn, "live", { version: 3, description: "" });
      assert.deepEqual(third?.before, second.alias);
      assert.deepEqual(third?.alias.routingConfig, routingConfig, "omitted routingConfig is kept");
      assert.deepEqual([third?.alias.version, third?.alias.description], [3, ""]);
      const empty = { additionalVersionWeights: {} };
      const cleared = await ctx.repos.aliases.upsert(fn, "live", { version: 3, routingConfig: empty });
      assert.deepEqual(cleared?.alias.routingConfig, { additionalVersionWeights: {} });
    });

    test("protected is false on create unless given, kept when omitted, and changed when given", async () => {
      const fn = await setup();
      assert.equal((await ctx.repos.aliases.upsert(fn, "plain", { version: 1 }))?.alias.protected, false);
      assert.equal((await ctx.repos.aliases.upsert(fn, "live", { version: 1, protected: true }))?.alias.protected, true);
      const kept = await ctx.repos.aliases.upsert(fn, "live", { version: 2 });
      assert.deepEqual([kept?.before?.protected, kept?.alias.protected], [true, true]);
      assert.equal((await ctx.repos.aliases.upsert(fn, "live", { version: 2, protected: false }))?.alias.protected, false);
      assert.equal((await ctx.repos.aliases.get(fn, "live"))?.protected, false);
    });

    test("upsert returns null for an unknown function", async () => {
      assert.equal(await ctx.repos.aliases.upsert(uniqueName("missing"), "live", { version: 1 }), null);
    });

    test("get, list and listAll span functions; the same alias name may exist on each", async () => {
      const a = await setup();
      const b = await setup();
      await ctx.repos.aliases.upsert(a, "live", { version: 1 });
      await ctx.repos.aliases.upsert(a, "beta", { version: 2 });
      await ctx.repos.aliases.upsert(b, "live", { version: 3 });
      assert.equal(await ctx.repos.aliases.get(a, "missing"), null);
      assert.deepEqual((await ctx.repos.aliases.list(a)).map((x) => [x.name, x.version]), [["beta", 2], ["live", 1]]);
      const all = (await ctx.repos.aliases.listAll())
        .filter((x) => x.functionName === a || x.functionName === b)
        .map((x) => [x.functionName, x.name, x.version]);
      assert.deepEqual(all, [
        [a, "beta", 2],
        [a, "live", 1],
        [b, "live", 3],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))));
    });

    test("delete removes one alias and returns false when it is gone", async () => {
      const fn = await setup();
      await ctx.repos.aliases.upsert(fn, "live", { version: 1 });
      await ctx.repos.aliases.upsert(fn, "beta", { version: 2 });
      assert.equal(await ctx.repos.aliases.delete(fn, "live"), true);
      assert.equal(await ctx.repos.aliases.delete(fn, "live"), false);
      assert.equal(await ctx.repos.aliases.get(fn, "live"), null);
      assert.deepEqual((await ctx.repos.aliases.list(fn)).map((x) => x.name), ["beta"]);
    });
  });
}
