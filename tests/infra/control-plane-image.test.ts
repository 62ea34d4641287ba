/**
 * The control-plane image builds OFFLINE and serves /health: `docker build` of
 * infra/docker/control-plane.Dockerfile on the local hotswap/base-node:20 base with `--network none`
 * (no registry, no network), then `docker run … server --embedded-runner` (embedded mode: no
 * Postgres, Redis or S3) on a 127.0.0.1 port, until
 * GET /health answers 200 and Docker's own HEALTHCHECK reports healthy.
 *
 * Needs a Docker engine and the offline bases: `npm run images -- --offline` (`.ci/run` runs it).
 * Without them the test is skipped with the reason; under CI=true it fails instead.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { waitFor } from "../support/wait-for.ts";
import { REPO_ROOT } from "./support/infra.ts";

const IS_CI = process.env.CI === "true" || process.env.CI === "1";
const BASE_IMAGE = "hotswap/base-node:20";
const IMAGE = "hotswap/control-plane:image-test";
const CONTAINER = `hotswap-control-plane-image-test-${randomBytes(4).toString("hex")}`;
const exec = promisify(execFile);
const docker = (args: string[], timeout = 60_000) => exec("docker", args, { cwd: REPO_ROOT, timeout, maxBuffer: 64 * 1024 * 1024 });

async function skipReason(): Promise<string | undefined> {
  let reason: string | undefined;
  try {
    await docker(["version", "--format", "{{.Server.Version}}"], 15_000);
    try {
      await docker(["image", "inspect", BASE_IMAGE], 15_000);
    } catch {
      reason = `the offline base image ${BASE_IMAGE} is missing; build it with: npm run images -- --offline`;
    }
  } catch {
    reason = "no Docker engine is reachable; start one (e.g. `dockerd &`, Debian's docker.io package)";
  }
  if (reason && IS_CI) throw new Error(`CI=true and ${reason}`);
  return reason;
}

const skip = await skipReason();

/**
 * Poll a starting server every 500 ms; an error from `check` (the container exited) fails at once.
 * waitFor holds the event loop open meanwhile: fetch's sockets may be unref'd while connecting
 * through docker-proxy.
 */
const POLL = { timeoutMs: 150_000, intervalMs: 500, retryErrors: false };

async function containerState(): Promise<{ running: boolean; health?: string; logs: () => Promise<string> }> {
  const { stdout } = await docker(["inspect", "--format", "{{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{end}}", CONTAINER]);
  const [running, health] = stdout.trim().split(" ");
  return {
    running: running === "true",
    health,
    logs: async () => {
      const { stdout: out, stderr } = await docker(["logs", "--tail", "50", CONTAINER]);
      return out + stderr;
    },
  };
}

let baseUrl = "";

before(async () => {
  if (skip) return;
  await docker(
    ["build", "--file", "infra/docker/control-plane.Dockerfile", "--build-arg", `BASE_IMAGE=${BASE_IMAGE}`, "--network", "none", "--tag", IMAGE, "."],
    15 * 60_000,
  );
  await docker([
    "run",
    "--detach",
    "--name",
    CONTAINER,
    // Docker's HEALTHCHECK every second instead of ten, so the test sees it pass quickly.
    "--health-interval",
    "1s",
    "--publish",
    "127.0.0.1::8080",
    IMAGE,
    // Embedded mode: PGlite, in-process state, a local code store and runner; no services needed.
    "server",
    "--embedded-runner",
  ]);
  const { stdout } = await docker(["port", CONTAINER, "8080/tcp"]);
  const hostPort = stdout.split("\n").find((l) => l.startsWith("127.0.0.1:"));
  assert.ok(hostPort, `published on 127.0.0.1 (docker port said: ${stdout})`);
  baseUrl = `http://${hostPort.trim()}`;
}, { timeout: 20 * 60_000 });

after(async () => {
  if (skip) return;
  await docker(["rm", "--force", CONTAINER]).catch(() => {});
});

test("the image is built from the offline base and declares a non-root user and a /health HEALTHCHECK", { skip }, async () => {
  const { stdout } = await docker(["image", "inspect", "--format", "{{json .Config}}", IMAGE]);
  const config = JSON.parse(stdout);
  assert.equal(config.User, "10001:10001");
  assert.ok(config.Healthcheck.Test.join(" ").includes("/health"));
  assert.ok("8080/tcp" in config.ExposedPorts);
  assert.deepEqual(config.Entrypoint, ["node", "--import", "tsx", "cli/main.ts"]);
  assert.deepEqual(config.Cmd, ["server"]);
});

test("docker run serves GET /health with 200 on the loopback port", { skip, timeout: 180_000 }, async () => {
  const status = await waitFor("GET /health to answer 200", async () => {
    const state = await containerState();
    if (!state.running) throw new Error(`the container exited before /health answered:\n${await state.logs()}`);
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(5000) });
      return res.status === 200 ? res.status : undefined;
    } catch {
      return undefined; // not listening yet
    }
  }, POLL);
  assert.equal(status, 200);
  // The web console ships in the image: / is its page, under its Content-Security-Policy.
  const page = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(5000) });
  assert.equal(page.status, 200, await page.clone().text());
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
  assert.match(await page.text(), /<script[^>]+src="\/console\/assets\/[^"]+\.js"/);
});

test("Docker's HEALTHCHECK turns healthy", { skip, timeout: 180_000 }, async () => {
  const health = await waitFor("the HEALTHCHECK to pass", async () => {
    const state = await containerState();
    if (!state.running) throw new Error(`the container exited:\n${await state.logs()}`);
    return state.health === "healthy" ? state.health : undefined;
  }, POLL);
  assert.equal(health, "healthy");
});

test("the server runs as uid 10001 with production dependencies only", { skip }, async () => {
  const probe = "const fs = require('node:fs'); process.stdout.write(JSON.stringify([process.getuid(), ...['typescript', 'drizzle-kit', '@pulumi/pulumi', 'hono', 'tsx'].map((p) => fs.existsSync('/app/node_modules/' + p))]))";
  const { stdout } = await docker(["exec", CONTAINER, "node", "-e", probe]);
  assert.deepEqual(JSON.parse(stdout), [10001, false, false, false, true, true]);
});
