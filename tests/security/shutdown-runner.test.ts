/**
 * `hotswap runner` ends its drain within HOTSWAP_SHUTDOWN_GRACE + 5 s after SIGTERM even while a
 * client holds a connection open mid-request (issue 14, finding 8): the agent used to wait for its
 * listener to close before dropping busy connections, so one slow or stuck client (or a control
 * plane forwarding a hung invocation) kept it running. Needs Redis (the agent registers there).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { serviceSkipReason, TEST_REDIS_URL } from "../support/services.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const GRACE_S = 2;

const skip = await serviceSkipReason("redis", TEST_REDIS_URL);

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

describe("hotswap runner drains within its grace period", { skip, timeout: 90_000 }, () => {
  test("SIGTERM with a request stuck mid-headers and an idle keep-alive connection: exits 0 within grace + 5 s", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hs-runner-stop-"));
    const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "runner"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? "/tmp",
        REDIS_URL: TEST_REDIS_URL,
        HOTSWAP_REDIS_PREFIX: `hs-stop-${randomBytes(4).toString("hex")}:`,
        HOTSWAP_CLUSTER_SECRET: randomBytes(16).toString("hex"),
        RUNNER_ID: `stop-${randomBytes(3).toString("hex")}`,
        RUNNER_LISTEN: "127.0.0.1:0",
        HOTSWAP_DATA_DIR: join(dir, "data"),
        HOTSWAP_CODE_DIR: join(dir, "code"),
        HOTSWAP_SHUTDOWN_GRACE: String(GRACE_S),
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const sockets: Socket[] = [];
    try {
      const until = Date.now() + 60_000;
      let port: number | undefined;
      while (port === undefined) {
        const m = /serving on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) port = Number(m[1]);
        else if (Date.now() > until || child.exitCode !== null) assert.fail(`the runner did not start:\n${out}`);
        else await new Promise((r) => setTimeout(r, 50));
      }
      // A request whose headers never end: the connection stays busy until the server drops it.
      const stuck = await open(port);
      sockets.push(stuck);
      stuck.write(`POST /invoke HTTP/1.1\r\nHost: runner\r\nContent-Type: application/json\r\n`);
      // A finished request on a keep-alive connection, left idle.
      const idle = await open(port);
      sockets.push(idle);
      const answered = new Promise<string>((resolve) => idle.once("data", (d) => resolve(d.toString("latin1"))));
      idle.write(`GET /health HTTP/1.1\r\nHost: runner\r\nConnection: keep-alive\r\n\r\n`);
      assert.match(await answered, /^HTTP\/1\.1 \d{3}/);

      const t0 = Date.now();
      child.kill("SIGTERM");
      const limit = (GRACE_S + 5) * 1000;
      const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), limit + 2000).unref())]);
      const ms = Date.now() - t0;
      assert.notEqual(code, "timeout", `still running ${ms} ms after SIGTERM:\n${out}`);
      assert.ok(ms <= limit, `took ${ms} ms (limit ${limit} ms)`);
      assert.equal(code, 0, `a clean drain exits 0:\n${out}`);
    } finally {
      for (const s of sockets) s.destroy();
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
