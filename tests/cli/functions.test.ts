/**
 * `hotswap functions ls|get|create|update|rm`, `versions ls` and `aliases ls|set|rm` against an
 * embedded platform: --json prints exactly the API's objects (compared with the typed client's
 * answers), the human tables show the fields, and failures print the API's code and message with
 * exit 3 for what does not exist, 1 for other refusals, 2 for usage errors.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { apiOf, expectOk, nodeCode, publishCode } from "../support/deploy.ts";
import { hotswap, shown } from "./support.ts";

describe("hotswap functions, versions and aliases", () => {
  let p: TestPlatform;
  let env: Record<string, string>;
  before(async () => {
    p = await startPlatform("embedded");
    env = { HOTSWAP_URL: p.url, HOTSWAP_API_KEY: p.key };
  });
  after(async () => {
    await p?.close();
  });

  test("functions create, ls, get, update and rm; --json is the API's object", { timeout: 90_000 }, async () => {
    const created = await hotswap(["functions", "create", "cli-fn", "--runtime", "nodejs20", "--handler", "index.handler", "--memory", "192", "--timeout", "7", "--env", "A=1", "--env", "B=two=2", "--description", "from the CLI", "--json"], env);
    assert.equal(created.code, 0, shown(created));
    const body = JSON.parse(created.stdout);
    assert.deepEqual(body, expectOk(await apiOf(p).functions.get("cli-fn"), "reading cli-fn"));
    assert.equal(body.memorySize, 192);
    assert.equal(body.timeout, 7);
    assert.deepEqual(body.environment, { A: "1", B: "two=2" });

    const ls = await hotswap(["functions", "ls"], env);
    assert.equal(ls.code, 0, shown(ls));
    assert.match(ls.stdout, /^NAME\s+RUNTIME\s+HANDLER\s+MEMORY\s+TIMEOUT\s+LATEST\s+UPDATED$/m);
    assert.match(ls.stdout, /^cli-fn\s+nodejs20\s+index\.handler\s+192\s+7\s+-\s+\d{4}-/m);
    const lsJson = await hotswap(["functions", "ls", "--json"], env);
    assert.deepEqual(JSON.parse(lsJson.stdout), expectOk(await apiOf(p).functions.list(), "listing"));

    const updated = await hotswap(["functions", "update", "cli-fn", "--memory", "256", "--env", "C=3"], env);
    assert.equal(updated.code, 0, shown(updated));
    assert.match(updated.stdout, /Updated function cli-fn\.\nname: +cli-fn\n(.|\n)*memory: +256 MB\n(.|\n)*environment: +C=3\n/);
    const got = expectOk(await apiOf(p).functions.get("cli-fn"), "reading cli-fn");
    assert.equal(got.memorySize, 256);
    assert.deepEqual(got.environment, { C: "3" });

    const get = await hotswap(["functions", "get", "cli-fn"], env);
    assert.equal(get.code, 0, shown(get));
    assert.match(get.stdout, /^runtime: +nodejs20$/m);
    assert.match(get.stdout, /^description: +from the CLI$/m);

    const noSettings = await hotswap(["functions", "update", "cli-fn"], env);
    assert.equal(noSettings.code, 2, shown(noSettings));
    assert.match(noSettings.stderr, /functions update needs at least one of --runtime/);

    const rm = await hotswap(["functions", "rm", "cli-fn"], env);
    assert.equal(rm.code, 0, shown(rm));
    assert.match(rm.stdout, /Deleted function cli-fn\./);
    const gone = await hotswap(["functions", "get", "cli-fn"], env);
    assert.equal(gone.code, 3, shown(gone));
    assert.match(gone.stderr, /hotswap: reading function "cli-fn" failed: FunctionNotFound \(HTTP 404\): .*cli-fn.* \[request [\w-]+\]/);
  });

  test("API refusals print the API's code and message: UnknownRuntime exits 1, a duplicate exits 1 with FunctionAlreadyExists", { timeout: 180_000 }, async () => {
    const bad = await hotswap(["functions", "create", "cli-bad", "--runtime", "cobol85", "--handler", "index.handler"], env);
    assert.equal(bad.code, 1, shown(bad));
    assert.match(bad.stderr, /creating function "cli-bad" failed: UnknownRuntime \(HTTP 400\): .*cobol85/);
    const missing = await hotswap(["functions", "create", "cli-bad", "--runtime", "nodejs20"], env);
    assert.equal(missing.code, 2, shown(missing));
    assert.match(missing.stderr, /functions create needs --runtime and --handler/);
    expectOk(await apiOf(p).functions.create({ name: "cli-dup", runtime: "nodejs20", handler: "index.handler" }), "creating cli-dup");
    const dup = await hotswap(["functions", "create", "cli-dup", "--runtime", "nodejs20", "--handler", "index.handler", "--json"], env);
    assert.equal(dup.code, 1, shown(dup));
    assert.equal(dup.stdout, "", "nothing on stdout when the command failed");
    assert.match(dup.stderr, /FunctionAlreadyExists \(HTTP 409\)/);
  });

  test("versions ls, and aliases set (with a weight), ls and rm", { timeout: 90_000 }, async () => {
    expectOk(await apiOf(p).functions.create({ name: "cli-ver", runtime: "nodejs20", handler: "index.handler" }), "creating cli-ver");
    for (const label of ["one", "two"]) await publishCode(p, "cli-ver", nodeCode(`exports.handler = async () => "${label}";`));
    const versions = await hotswap(["versions", "ls", "cli-ver"], env);
    assert.equal(versions.code, 0, shown(versions));
    const listed = expectOk(await apiOf(p).versions.list("cli-ver"), "listing versions");
    assert.match(versions.stdout, /^VERSION\s+SIZE\s+SHA256\s+RUNTIME\s+HANDLER\s+CREATED\s+DESCRIPTION$/m);
    for (const v of listed.versions) assert.match(versions.stdout, new RegExp(`^${v.version}\\s+${v.codeSize}\\s+${v.codeSha256.slice(0, 12)}\\s+nodejs20`, "m"));
    const versionsJson = await hotswap(["versions", "ls", "cli-ver", "--json"], env);
    assert.deepEqual(JSON.parse(versionsJson.stdout), listed);

    const set = await hotswap(["aliases", "set", "cli-ver", "live", "1", "--weight", "2=0.25", "--description", "prod"], env);
    assert.equal(set.code, 0, shown(set));
    assert.match(set.stdout, /Alias cli-ver:live → v1 75%, v2 25%\./);
    const alias = expectOk(await apiOf(p).aliases.get("cli-ver", "live"), "reading live");
    assert.equal(alias.version, 1);
    assert.deepEqual(alias.routingConfig.additionalVersionWeights, { "2": 0.25 });

    const ls = await hotswap(["aliases", "ls", "cli-ver"], env);
    assert.equal(ls.code, 0, shown(ls));
    assert.match(ls.stdout, /^live\s+1\s+v1 75%, v2 25%\s+no\s+\S+\s+prod$/m);
    const lsJson = await hotswap(["aliases", "ls", "cli-ver", "--json"], env);
    assert.deepEqual(JSON.parse(lsJson.stdout), expectOk(await apiOf(p).aliases.list("cli-ver"), "listing aliases"));

    const badWeight = await hotswap(["aliases", "set", "cli-ver", "live", "2", "--weight", "1=1.5"], env);
    assert.equal(badWeight.code, 2, shown(badWeight));
    assert.match(badWeight.stderr, /"1=1\.5" is not VERSION=WEIGHT/);
    const noVersion = await hotswap(["aliases", "set", "cli-ver", "beta", "9"], env);
    assert.equal(noVersion.code, 3, shown(noVersion));
    assert.match(noVersion.stderr, /VersionNotFound \(HTTP 400\)/);

    const rm = await hotswap(["aliases", "rm", "cli-ver", "live"], env);
    assert.equal(rm.code, 0, shown(rm));
    const afterRm = await apiOf(p).aliases.get("cli-ver", "live");
    assert.ok(!afterRm.ok && afterRm.error.code === "AliasNotFound");
    const rmAgain = await hotswap(["aliases", "rm", "cli-ver", "live"], env);
    assert.equal(rmAgain.code, 3, shown(rmAgain));
  });
});
