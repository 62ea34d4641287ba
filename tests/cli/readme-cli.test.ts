/**
 * The README's "tour with the `hotswap` CLI", run as written: each command of its shell block in
 * bash, with `hotswap` meaning `node bin/hotswap.js` and a private config dir. Stand-ins: the URL and
 * key of an embedded platform for $HS and $KEY, a scratch directory holding the tour's hello
 * function for /tmp/hello (its second deploy gets the "hi" edit of the curl tour's step 4), a 2 s
 * canary instead of 5 minutes, and traffic on `live` while the canary runs (a rollout promotes a
 * step only once the new version served requests).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { apiOf } from "../support/deploy.ts";
import { cliEnv } from "./support.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const HELLO = (greeting: string) => `exports.handler = async (event, context) => ({
  message: \`${greeting} \${event.name ?? "world"}\`,
  requestId: context.awsRequestId,
});
`;

function section(readme: string, title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README has no "## ${title}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

function bash(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-eo", "pipefail", "-c", `hotswap() { node ${ROOT}bin/hotswap.js "$@"; }\n${script}`], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("the README's CLI tour", () => {
  let p: TestPlatform;
  let work: string;
  before(async () => {
    p = await startPlatform("embedded");
    work = await mkdtemp(join(tmpdir(), "hs-cli-tour-"));
  });
  after(async () => {
    await p?.close();
    await rm(work, { recursive: true, force: true });
  });

  test("works as written", { timeout: 400_000 }, async () => {
    const text = section(await readFile(join(ROOT, "README.md"), "utf8"), "The tour with the `hotswap` CLI");
    const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.equal(blocks.length, 1, "one shell block");
    const commands = blocks[0]!.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    const env = cliEnv({ HS: p.url, KEY: p.key, XDG_CONFIG_HOME: join(work, "config") });
    const dir = join(work, "hello");
    await mkdir(dir);
    await writeFile(join(dir, "index.js"), HELLO("hello"));
    const outputs: string[] = [];
    let deploys = 0;
    for (const raw of commands) {
      const cmd = raw.replace(/#.*$/, "").replaceAll("/tmp/hello", dir).replace("--duration 5m", "--duration 2s");
      let traffic: Promise<void> | undefined;
      let running = false;
      if (/^hotswap deploy /.test(cmd)) {
        if (deploys++ > 0) await writeFile(join(dir, "index.js"), HELLO("hi"));
        if (/--strategy canary/.test(cmd)) {
          running = true;
          traffic = (async () => {
            while (running) {
              await apiOf(p).invoke("hello", { name: "traffic" }, { qualifier: "live" });
              await new Promise((r) => setTimeout(r, 50));
            }
          })();
        }
      }
      const r = await bash(cmd, work, env);
      running = false;
      await traffic;
      assert.equal(r.code, 0, `exit ${r.code} from: ${cmd}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      outputs.push(`${r.stdout}\n--stderr--\n${r.stderr}`);
    }
    const [login, deploy, invoke, canary, logs, rollouts, trigger] = outputs;
    assert.match(login!, /Signed in to http:\/\/127\.0\.0\.1:\d+; credentials stored in .*credentials\.json \(mode 0600\)/);
    assert.match(deploy!, /Deployed hello version 1/);
    assert.match(deploy!, /Alias hello:live → v1\./);
    assert.match(invoke!, /^\{"message":"hello HotSwap","requestId":"[^"]+"\}$/m, "the output the README shows");
    assert.match(canary!, /\[####----------------\] +20% on v2 {2}InProgress \(canary\) {2}v1 80% \/ v2 20%/, "the progress line the README shows");
    assert.match(canary!, /Rollout \S+ Succeeded/);
    assert.match(logs!, /v1 {2}\S+ {2}\w+ {2}.*START RequestId/);
    assert.match(rollouts!, /^\S+\s+hello:live\s+v1→v2\s+Canary\s+Succeeded/m);
    assert.match(trigger!, /Created trigger \S+\./);
    const served = await fetch(`${p.url}/fn/hello`);
    assert.equal(served.status, 200);
    assert.match(await served.text(), /^\{"message":"hi world","requestId":"[^"]+"\}$/);
  });
});
