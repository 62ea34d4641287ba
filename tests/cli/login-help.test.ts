/**
 * `hotswap` as a new user meets it: `--help` names every command and the exit codes, usage errors
 * exit 2, `login` checks the key before storing it 0600 under $XDG_CONFIG_HOME/hotswap, the stored
 * credentials serve later commands, HOTSWAP_URL/HOTSWAP_API_KEY override them, `login --token`
 * takes a JWT, and `logout` forgets them. Runs `node bin/hotswap.js` against an embedded platform.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { SignJWT } from "jose";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { configHome, hotswap, shown } from "./support.ts";

const JWT_SECRET = "cli-login-test-secret-of-32-bytes-or-more";
const AUDIENCE = "hotswap-cli-test";

describe("hotswap help, usage errors, login and logout", () => {
  let p: TestPlatform;
  let home: Awaited<ReturnType<typeof configHome>>;
  before(async () => {
    p = await startPlatform("embedded", { HOTSWAP_JWT_SECRET: JWT_SECRET, HOTSWAP_JWT_AUDIENCE: AUDIENCE });
    home = await configHome();
  });
  after(async () => {
    await p?.close();
    await home?.cleanup();
  });

  test("--help lists every command group and documents the exit codes; subcommand help lists its options", { timeout: 180_000 }, async () => {
    const help = await hotswap(["--help"], {});
    assert.equal(help.code, 0, shown(help));
    for (const cmd of ["server", "runner", "admin", "secrets", "version", "login", "logout", "functions", "versions", "aliases", "deploy", "invoke", "logs", "rollouts", "triggers", "runners", "keys"]) {
      assert.match(help.stdout, new RegExp(`^  ${cmd}\\b`, "m"), `${cmd} is listed`);
    }
    assert.match(help.stdout, /Exit codes:\n  0  ok\n  1 .*\n  2  usage error.*\n  3  not found.*\n  4  not signed in.*\n  5  the deployment was rolled back.*\n  6  invoke: the function's handler raised/);
    assert.match(help.stdout, /--json/);
    const deploy = await hotswap(["deploy", "--help"], {});
    assert.equal(deploy.code, 0, shown(deploy));
    for (const opt of ["--name", "--runtime", "--handler", "--memory", "--timeout", "--env", "--alias", "--strategy", "--percentage", "--duration", "--json"]) assert.match(deploy.stdout, new RegExp(`${opt}\\b`), opt);
    const none = await hotswap([], {});
    assert.equal(none.code, 2, "no command is a usage error");
    assert.match(none.stdout, /Usage: hotswap/);
  });

  test("usage errors exit 2 and say what is wrong", { timeout: 180_000 }, async () => {
    const unknown = await hotswap(["functoins", "ls"], {});
    assert.equal(unknown.code, 2, shown(unknown));
    assert.match(unknown.stderr, /unknown command 'functoins'/);
    const missing = await hotswap(["deploy", "."], { HOTSWAP_URL: p.url, HOTSWAP_API_KEY: p.key });
    assert.equal(missing.code, 2, shown(missing));
    assert.match(missing.stderr, /required option '--name <function>' not specified/);
    const badNumber = await hotswap(["functions", "create", "x", "--runtime", "nodejs20", "--handler", "i.h", "--memory", "lots"], { HOTSWAP_URL: p.url, HOTSWAP_API_KEY: p.key });
    assert.equal(badNumber.code, 2, shown(badNumber));
    assert.match(badNumber.stderr, /--memory <mb>' argument 'lots' is invalid. must be a whole number/);
    const beforeSignIn = await hotswap(["invoke", "fn", "--data", "{}", "--file", "event.json"], {});
    assert.equal(beforeSignIn.code, 2, `a usage error is reported before "not signed in"\n${shown(beforeSignIn)}`);
    assert.match(beforeSignIn.stderr, /give the event with --data or --file, not both/);
    const version = await hotswap(["version"], {});
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^hotswap \d+\.\d+\.\d+/);
  });

  test("login refuses a wrong key (exit 4, nothing stored), stores a good one 0600, and later commands use it", { timeout: 180_000 }, async () => {
    const env = { XDG_CONFIG_HOME: home.dir };
    const file = join(home.dir, "hotswap", "credentials.json");
    const notSignedIn = await hotswap(["functions", "ls"], env);
    assert.equal(notSignedIn.code, 4, shown(notSignedIn));
    assert.match(notSignedIn.stderr, /not signed in: run `hotswap login --url <url> --key <key>`/);

    const wrong = await hotswap(["login", "--url", p.url, "--key", "hs_abcd1234_wrongwrongwrongwrongwrongwrongwrong"], env);
    assert.equal(wrong.code, 4, shown(wrong));
    assert.match(wrong.stderr, /signing in to .* failed: Unauthorized \(HTTP 401\)/);
    await assert.rejects(stat(file), /ENOENT/);

    const unreachable = await hotswap(["login", "--url", "http://127.0.0.1:1", "--key", p.key], env);
    assert.equal(unreachable.code, 1, shown(unreachable));
    assert.match(unreachable.stderr, /Unreachable: cannot reach the HotSwap API/);

    const ok = await hotswap(["login", "--url", `${p.url}/`, "--key", p.key], env);
    assert.equal(ok.code, 0, shown(ok));
    assert.match(ok.stdout, new RegExp(`Signed in to ${p.url}; credentials stored in ${file}`));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(home.dir, "hotswap"))).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(await readFile(file, "utf8")), { url: p.url, apiKey: p.key });

    const ls = await hotswap(["functions", "ls", "--json"], env);
    assert.equal(ls.code, 0, shown(ls));
    assert.deepEqual(JSON.parse(ls.stdout), { functions: [] });

    // The environment overrides what is stored.
    const overridden = await hotswap(["functions", "ls"], { ...env, HOTSWAP_API_KEY: "hs_abcd1234_wrongwrongwrongwrongwrongwrongwrong" });
    assert.equal(overridden.code, 4, shown(overridden));
    assert.match(overridden.stderr, /listing functions failed: Unauthorized \(HTTP 401\)/);
    const otherUrl = await hotswap(["functions", "ls"], { ...env, HOTSWAP_URL: "http://127.0.0.1:1" });
    assert.equal(otherUrl.code, 1, shown(otherUrl));
    assert.match(otherUrl.stderr, /cannot reach the HotSwap API at http:\/\/127\.0\.0\.1:1/);

    const out = await hotswap(["logout"], env);
    assert.equal(out.code, 0, shown(out));
    assert.match(out.stdout, /Signed out/);
    await assert.rejects(stat(file), /ENOENT/);
    assert.equal((await hotswap(["functions", "ls"], env)).code, 4);
  });

  test("login --token stores a JWT, and its role's limits come back as exit 4 with the API's code", { timeout: 180_000 }, async () => {
    const env = { XDG_CONFIG_HOME: home.dir };
    const viewer = await new SignJWT({ sub: "cli-viewer", aud: AUDIENCE, roles: "viewer" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("10m").sign(new TextEncoder().encode(JWT_SECRET));
    const login = await hotswap(["login", "--url", p.url, "--token", viewer], env);
    assert.equal(login.code, 0, shown(login));
    assert.deepEqual(JSON.parse(await readFile(join(home.dir, "hotswap", "credentials.json"), "utf8")), { url: p.url, token: viewer });
    const ls = await hotswap(["functions", "ls"], env);
    assert.equal(ls.code, 0, shown(ls));
    assert.equal(ls.stdout.trim(), "(none)");
    const create = await hotswap(["functions", "create", "by-viewer", "--runtime", "nodejs20", "--handler", "index.handler"], env);
    assert.equal(create.code, 4, shown(create));
    assert.match(create.stderr, /creating function "by-viewer" failed: Forbidden \(HTTP 403\): /);
    assert.equal((await hotswap(["logout"], env)).code, 0);
  });
});
