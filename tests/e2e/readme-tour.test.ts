/**
 * The README's five-minute tour, run as written against `hotswap server` on embedded parts (what
 * `npm start` runs): its shell blocks in bash with curl and zip, its AWS SDK script with node. The
 * only stand-ins are what a reader fills in: the URL and key from the server's output instead of the
 * example `export` lines (and the deployer key step 0 printed for its `export KEY=`), a scratch
 * directory instead of /tmp/hello, the deployment id that step 6
 * printed for `<deploymentId>`, and a node_modules link instead of `npm i @aws-sdk/client-lambda`.
 * A README that drifts from the product fails here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { spawnServer, waitForOutput } from "../support/cli.ts";
import { sectionBlocks } from "../support/readme-blocks.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** A shell block as separate commands (backslash continuations joined, comment lines dropped). */
function commands(code: string): string[] {
  return code
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}

test("the README's five-minute tour works as written", { timeout: 120_000 }, async () => {
  const blocks = sectionBlocks(await readFile(join(ROOT, "README.md"), "utf8"), "A five-minute tour");
  const dataDir = await mkdtemp(join(tmpdir(), "hs-tour-data-"));
  const work = await mkdtemp(join(tmpdir(), "hs-tour-"));
  // What `npm i @aws-sdk/client-lambda` gives the reader's invoke.mjs.
  await symlink(join(ROOT, "node_modules"), join(work, "node_modules"));
  const { key } = generateApiKey();
  const server = spawnServer({ HOTSWAP_DATA_DIR: dataDir, HOTSWAP_ADMIN_KEY: key, PORT: "0" });
  try {
    const [, url] = await waitForOutput(server, /serving on (http:\/\/\S+)/, 30_000);
    const env = { ...process.env, HS: url!, KEY: key };
    const run = (script: string): string => {
      const r = spawnSync("bash", ["-eo", "pipefail", "-c", script.replaceAll("/tmp/hello", work)], { cwd: work, env, encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, `exit ${r.status} from:\n${script}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return r.stdout;
    };

    const [setup, ...steps] = blocks;
    assert.match(setup!.code, /export HS=/, "the tour opens with the export of HS and KEY");
    assert.match(setup!.code, /export KEY=/);
    let deploymentId: string | undefined;
    const outputs: string[] = [];
    for (const b of steps) {
      if (b.lang === "js") {
        const [, file] = b.code.match(/^\/\/ (\S+\.mjs)/) ?? [];
        assert.ok(file, `a JavaScript block names its file in its first line:\n${b.code}`);
        await writeFile(join(work, file), b.code);
        outputs.push("");
        continue;
      }
      assert.equal(b.lang, "sh", `unexpected block language ${b.lang}`);
      let out = "";
      // Command by command, so each one's output is its own line (curl -s prints no newline); a
      // block with a here-document runs whole.
      for (const cmd of b.code.includes("<<") ? [b.code] : commands(b.code)) {
        if (cmd.includes("<deploymentId>")) assert.ok(deploymentId, `no deployment id printed before: ${cmd}`);
        const o = run(cmd.replaceAll("<deploymentId>", deploymentId ?? ""));
        deploymentId ??= o.match(/"deploymentId":"([0-9a-f-]{36})"/)?.[1];
        // Step 0 prints the deployer key the reader then exports as KEY for the rest of the tour.
        const minted = o.match(/"key":"(hs_[a-z0-9]+_[A-Za-z0-9]+)"/)?.[1];
        if (minted) env.KEY = minted;
        out += o.endsWith("\n") ? o : `${o}\n`;
      }
      outputs.push(out);
    }

    const [keyed, created, uploaded, invoked, aliased, , sdk, deployed, rolledBack, logs, http, schedule] = outputs;
    // Step 0: a deployer key, which every later step used (it cannot manage keys; the admin key can).
    const deployerKey = JSON.parse(keyed!.split("\n")[0]!) as { role: string; key: string };
    assert.equal(deployerKey.role, "deployer");
    assert.equal(env.KEY, deployerKey.key, "the steps after step 0 ran with the deployer key");
    assert.match(run(`curl -s -o /dev/null -w '%{http_code}' $HS/api/v1/keys -H "Authorization: Bearer $KEY"`), /^403$/);
    assert.equal(JSON.parse(created!).name, "hello", created);
    assert.match(uploaded!, /"version":1,"codeSha256":"[0-9a-f]{64}"/);
    assert.match(invoked!, /^HTTP\/1\.1 200 OK/);
    assert.match(invoked!, /^x-request-id: \S+/im);
    assert.match(invoked!, /^x-hotswap-version: 1\r?$/im);
    assert.match(invoked!, /^x-hotswap-cold-start: true\r?$/im);
    assert.match(invoked!, /\{"message":"hello HotSwap","requestId":"[^"]+"\}/);
    const aliasLines = aliased!.trim().split("\n");
    assert.equal(JSON.parse(aliasLines[0]!).version, 2, aliased);
    assert.deepEqual(JSON.parse(aliasLines[1]!).routingConfig, { additionalVersionWeights: { "2": 0.1 } }, aliased);
    // `live` sends 10% to version 2, whose handler greets with "hi".
    assert.match(aliasLines[2]!, /^\{"message":"(hello|hi) world","requestId":"[^"]+"\}$/);
    assert.match(sdk!, /^200 1 \{"message":"hello SDK","requestId":"[^"]+"\}$|^200 2 \{"message":"hi SDK","requestId":"[^"]+"\}$/m);
    assert.ok(deploymentId, `step 6 printed no deployment id:\n${deployed}`);
    const [start, status] = deployed!.trim().split("\n");
    assert.match(start!, /"status":"(Pending|InProgress)"/);
    assert.equal(JSON.parse(status!).deploymentId, deploymentId);
    assert.match(rolledBack!, /"status":"RolledBack"/);
    // "The alias returns exactly to what it was before the deployment."
    const alias = JSON.parse(run(`curl -s $HS/api/v1/functions/hello/aliases/live -H "Authorization: Bearer $KEY"`));
    assert.equal(alias.version, 1);
    assert.deepEqual(alias.routingConfig, { additionalVersionWeights: { "2": 0.1 } });
    // Step 8: stored lines (Lambda's framing first), then one invocation's tail.
    const [page, tail] = [logs!.split("\n")[0]!, logs!.split("\n").slice(1).join("\n")];
    const lines = (JSON.parse(page) as { lines: Array<{ functionName: string; stream: string; message: string }> }).lines;
    assert.ok(lines.length > 0 && lines.every((l) => l.functionName === "hello"), page);
    assert.match(lines[0]!.message, /^START RequestId: \S+ Version: [12]$/);
    assert.match(tail, /^START RequestId: \S+ Version: [12]$/m);
    assert.match(tail, /^END RequestId: \S+$/m);
    assert.match(tail, /^REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB/m);
    // Step 9: an Http trigger answers at /fn.
    const [route, served] = http!.trim().split("\n");
    const trigger = JSON.parse(route!) as { triggerId: string; type: string; functionName: string };
    assert.match(trigger.triggerId, /^[0-9a-f-]{36}$/);
    assert.deepEqual([trigger.type, trigger.functionName], ["Http", "hello"]);
    assert.match(served!, /^\{"message":"(hello|hi) world","requestId":"[^"]+"\}$/);
    // Step 10: the schedule fired and its run is recorded under the trigger's id.
    const [scheduled, runs] = schedule!.split("\n").filter((l) => l.trim() !== "");
    const triggerId = JSON.parse(scheduled!).triggerId as string;
    const recorded = JSON.parse(runs!) as { invocations: Array<{ source: string; status: string }> };
    assert.equal(recorded.invocations[0]?.source, triggerId, runs);
    assert.equal(recorded.invocations[0]?.status, "Succeeded", runs);
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
    await rm(dataDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
});
