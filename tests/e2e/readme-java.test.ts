/**
 * The README's "Java functions" build-and-deploy example, run as written against `hotswap server`
 * on embedded parts: javac against the checkout's runtimes/java/src, jar, zip, then create, upload
 * and invoke with curl. The only stand-ins are what a reader fills in: HS and KEY from the server,
 * HOTSWAP_SRC pointing at this checkout, and a scratch directory instead of /tmp/hello-java.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { spawnServer, waitForOutput } from "../support/cli.ts";
import { javaMissing } from "../support/java-function.ts";
import { sectionBlocks } from "../support/readme-blocks.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

test("the README's Java build-and-deploy example works as written", { skip: javaMissing(), timeout: 240_000 }, async () => {
  const blocks = sectionBlocks(await readFile(join(ROOT, "README.md"), "utf8"), "Java functions");
  assert.equal(blocks.length, 1, "one shell block");
  assert.equal(blocks[0]!.lang, "sh");
  const script = blocks[0]!.code;
  assert.match(script, /^export HOTSWAP_SRC=.*$/m);
  const dataDir = await mkdtemp(join(tmpdir(), "hs-java-readme-data-"));
  const work = await mkdtemp(join(tmpdir(), "hs-java-readme-"));
  const { key } = generateApiKey();
  const server = spawnServer({ HOTSWAP_DATA_DIR: dataDir, HOTSWAP_ADMIN_KEY: key, PORT: "0" });
  try {
    const [, url] = await waitForOutput(server, /serving on (http:\/\/\S+)/, 90_000);
    const runnable = script.replace(/^export HOTSWAP_SRC=.*$/m, `export HOTSWAP_SRC=${ROOT}`).replaceAll("/tmp/hello-java", work);
    const r = spawnSync("bash", ["-eo", "pipefail", "-c", runnable], { cwd: work, env: { ...process.env, HS: url!, KEY: key }, encoding: "utf8", timeout: 90_000 });
    assert.equal(r.status, 0, `exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stdout, /"name":"hello-java"/);
    assert.match(r.stdout, /"version":1,"codeSha256":"[0-9a-f]{64}"/);
    assert.match(r.stdout, /\{"message":"hello Java","requestId":"[^"]+"\}$/);
    const listing = spawnSync("unzip", ["-Z1", join(work, "function.zip")], { encoding: "utf8" });
    if (listing.status === 0) assert.deepEqual(listing.stdout.trim().split("\n").filter((l) => !l.endsWith("/")), ["lib/hello.jar"]);
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
    await rm(dataDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
});
