/**
 * The six runtime images, as `npm run images [-- --offline]` leaves them: non-root user, /var/task,
 * LAMBDA_TASK_ROOT, the right interpreter, the bootstrap as entrypoint. Invoking a function through
 * them is the docker backend's contract suite, not this file.
 *
 * Needs a Docker engine (bash scripts/ci/ensure-docker.sh) and the images (npm run images -- --offline).
 * Without them it skips with the reason; under CI=true it fails instead.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import pkg from "../../package.json" with { type: "json" };
import { IS_CI } from "../support/services.ts";

const exec = promisify(execFile);

const BUILD = "npm run images -- --offline";

interface Expected {
  id: string;
  interpreter: string;
  /** What `<interpreter> --version` must print. */
  version: RegExp;
  entrypoint: string[];
  /** Files the image must hold besides the interpreter. */
  files: string[];
}

const IMAGES: Expected[] = [
  { id: "nodejs20", interpreter: "node", version: /^v20\.\d+\.\d+$/, entrypoint: ["node", "/opt/hotswap/bootstrap.mjs"], files: ["/opt/hotswap/bootstrap.mjs"] },
  { id: "nodejs22", interpreter: "node", version: /^v22\.\d+\.\d+$/, entrypoint: ["node", "/opt/hotswap/bootstrap.mjs"], files: ["/opt/hotswap/bootstrap.mjs"] },
  { id: "python3.11", interpreter: "python3", version: /^Python 3\.11\.\d+$/, entrypoint: ["python3", "/opt/hotswap/bootstrap.py"], files: ["/opt/hotswap/bootstrap.py"] },
  { id: "python3.12", interpreter: "python3", version: /^Python 3\.12\.\d+$/, entrypoint: ["python3", "/opt/hotswap/bootstrap.py"], files: ["/opt/hotswap/bootstrap.py"] },
  { id: "ruby3.1", interpreter: "ruby", version: /^ruby 3\.1\.\d+p\d+ /, entrypoint: ["ruby", "/opt/hotswap/bootstrap.rb"], files: ["/opt/hotswap/bootstrap.rb", "/opt/hotswap/lib/frame.rb", "/opt/hotswap/lib/fast_channel.rb"] },
  { id: "provided", interpreter: "bash", version: /^GNU bash, version 5\./, entrypoint: ["/var/task/bootstrap"], files: ["/usr/bin/curl", "/etc/ssl/certs/ca-certificates.crt"] },
];

async function docker(args: string[], timeout = 60_000): Promise<string> {
  const { stdout, stderr } = await exec("docker", args, { timeout, maxBuffer: 4 * 1024 * 1024 });
  return `${stdout}${stderr}`.trim();
}

/** Run a throwaway container of `ref` with no network, overriding its entrypoint. */
function runIn(ref: string, entrypoint: string, ...args: string[]): Promise<string> {
  return docker(["run", "--rm", "--network", "none", "--entrypoint", entrypoint, ref, ...args]);
}

async function engineSkipReason(): Promise<string | undefined> {
  try {
    await docker(["info", "--format", "{{.ServerVersion}}"], 20_000);
    return undefined;
  } catch (err) {
    const why = String((err as { stderr?: string }).stderr || (err as Error).message).trim().split("\n").pop();
    const reason = `the Docker engine is not reachable (${why}); start it with: bash scripts/ci/ensure-docker.sh, then build the images with: ${BUILD}`;
    if (IS_CI) throw new Error(`CI=true and ${reason}`);
    return reason;
  }
}

interface ImageConfig {
  User: string;
  WorkingDir: string;
  Env: string[] | null;
  Entrypoint: string[] | null;
  Labels: Record<string, string> | null;
}

async function inspectConfig(ref: string): Promise<ImageConfig | undefined> {
  try {
    return JSON.parse(await docker(["image", "inspect", "--format", "{{json .Config}}", ref])) as ImageConfig;
  } catch {
    return undefined;
  }
}

const engineSkip = await engineSkipReason();

for (const img of IMAGES) {
  const ref = `hotswap/runtime-${img.id}:${pkg.version}`;
  const config = engineSkip ? undefined : await inspectConfig(ref);
  // A missing image fails under CI (the build step did not run or failed) and skips elsewhere.
  const skip = engineSkip ?? (config || IS_CI ? undefined : `${ref} is not built; build it with: ${BUILD}`);

  describe(`runtime image ${ref}`, { skip }, () => {
    const cfg = (): ImageConfig => {
      assert.ok(config, `${ref} does not exist; CI must build it first with: ${BUILD}`);
      return config;
    };

    it("runs as the non-root uid 10001 in /var/task with LAMBDA_TASK_ROOT=/var/task", () => {
      const c = cfg();
      assert.equal(c.User, "10001:10001");
      assert.equal(c.WorkingDir, "/var/task");
      assert.ok((c.Env ?? []).includes("LAMBDA_TASK_ROOT=/var/task"), `Env is ${JSON.stringify(c.Env)}`);
      assert.equal(c.Labels?.["org.hotswap.runtime"], img.id);
    });

    it("has a passwd entry for that user, so tools that look the user up work", async () => {
      assert.equal(await runIn(ref, "id", "-un"), "hotswap");
      assert.equal(await runIn(ref, "id", "-u"), "10001");
    });

    it(`reports the expected version from \`${img.interpreter} --version\``, async () => {
      assert.match(await runIn(ref, img.interpreter, "--version"), img.version);
    });

    it(`has ${img.entrypoint.join(" ")} as its entrypoint, and the files it needs`, async () => {
      assert.deepEqual(cfg().Entrypoint, img.entrypoint);
      for (const f of img.files) await runIn(ref, "test", "-f", f);
    });

    if (img.id === "provided") {
      it("has curl for the AWS tutorial's bash bootstrap", async () => {
        assert.match(await runIn(ref, "curl", "--version"), /^curl \d+\.\d+/);
      });
    }
  });
}
