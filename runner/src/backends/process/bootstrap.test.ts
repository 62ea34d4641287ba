/**
 * The node and python bootstraps at the protocol level, without the backend: the unix-socket
 * (HOTSWAP_CHANNEL_SOCKET) and TCP (HOTSWAP_CHANNEL_TCP, the docker backend's) transports, clean
 * exits on channel close and on SIGTERM, and stdout kept free of protocol data.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Duplex } from "node:stream";
import { ChannelListener } from "../../channel/channel-listener.ts";
import { FastChannel, type InitMessage } from "../../channel/fast-channel.ts";
import { fixtureDir } from "../backend.contract.ts";
import { discoverRuntime } from "./runtime-discovery.ts";

const RUNTIMES = fileURLToPath(new URL("../../../../runtimes/", import.meta.url));
const IS_CI = process.env.CI === "true" || process.env.CI === "1";

interface Lang {
  name: string;
  command: () => Promise<string[] | undefined>;
  echo: { fixture: string; handler: string };
  sleep: { fixture: string; handler: string };
}

const LANGS: Lang[] = [
  {
    name: "node",
    command: async () => [process.execPath, join(RUNTIMES, "node/bootstrap.mjs")],
    echo: { fixture: "node-cjs", handler: "index.handler" },
    sleep: { fixture: "node-sleep", handler: "index.handler" },
  },
  {
    name: "python",
    command: async () => {
      for (const id of ["python3.12", "python3.11"] as const) {
        const r = await discoverRuntime(id);
        if (r.interpreter) return [r.interpreter.path, "-B", join(RUNTIMES, "python/bootstrap.py")];
      }
      return undefined;
    },
    echo: { fixture: "python-echo", handler: "handler.handler" },
    sleep: { fixture: "python-sleep", handler: "handler.handler" },
  },
];

function initFor(fixture: string, handler: string): InitMessage {
  return { taskRoot: fixtureDir(fixture), handler, functionName: fixture, functionVersion: "1", memorySize: 128, timeout: 3, env: {}, concurrency: 1 };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

describe("bootstraps", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hs-bootstrap-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const lang of LANGS) {
    test(`${lang.name}: connects to HOTSWAP_CHANNEL_SOCKET, keeps stdout clean, and exits 0 when the channel closes`, async (t) => {
      const cmd = await lang.command();
      if (!cmd) return void (IS_CI ? assert.fail(`no ${lang.name} interpreter`) : t.skip(`no ${lang.name} interpreter`));
      const path = join(dir, `${lang.name}.sock`);
      const server = net.createServer();
      await new Promise<void>((r) => server.listen(path, r));
      const accepted = new Promise<net.Socket>((r) => server.once("connection", r));
      const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { PATH: "/usr/bin:/bin", HOTSWAP_CHANNEL_SOCKET: path } });
      const exited = exitOf(child);
      let stdout = "";
      child.stdout!.on("data", (c) => (stdout += c));
      child.stderr!.resume();
      const channel = new FastChannel(await accepted);
      server.close();
      const hello = await channel.hello;
      assert.equal(hello.runtime, lang.name);
      assert.equal(hello.pid, child.pid);
      await channel.init(initFor(lang.echo.fixture, lang.echo.handler));
      const r = await channel.invoke({ requestId: "sock-1", payload: Buffer.from('{"via":"socket"}'), deadlineMs: Date.now() + 3000 });
      assert.equal(r.kind, "success");
      assert.deepEqual(JSON.parse((r as { payload: Buffer }).payload.toString()).echo, { via: "socket" });
      await channel.close();
      assert.deepEqual(await exited, { code: 0, signal: null });
      assert.equal(stdout, "", "protocol data never goes to stdout");
    });

    test(`${lang.name}: connects to HOTSWAP_CHANNEL_TCP, identifies itself with HOTSWAP_CHANNEL_TOKEN, and hides both from the function`, async (t) => {
      const cmd = await lang.command();
      if (!cmd) return void (IS_CI ? assert.fail(`no ${lang.name} interpreter`) : t.skip(`no ${lang.name} interpreter`));
      const listener = await ChannelListener.start();
      try {
        const expected = listener.expect();
        const env = { PATH: "/usr/bin:/bin", HOTSWAP_CHANNEL_TCP: listener.address, HOTSWAP_CHANNEL_TOKEN: expected.token };
        const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "ignore", "pipe"], env });
        const exited = exitOf(child);
        child.stderr!.resume();
        const socket = await expected.connected;
        const channel = new FastChannel(socket);
        socket.resume();
        assert.equal((await channel.hello).pid, child.pid);
        const [fixture, handler] = lang.name === "node" ? ["node-env", "index.handler"] : ["python-env", "handler.handler"];
        await channel.init({ ...initFor(fixture, handler), env: { FOO: "tcp" } });
        const r = await channel.invoke({ requestId: "tcp-1", payload: Buffer.from("{}"), deadlineMs: Date.now() + 3000 });
        assert.equal(r.kind, "success", JSON.stringify(r));
        const seen = JSON.parse((r as { payload: Buffer }).payload.toString());
        assert.equal(seen.FOO, "tcp");
        for (const k of ["HOTSWAP_CHANNEL_TCP", "HOTSWAP_CHANNEL_TOKEN"]) assert.equal(seen[k], undefined, `${k} reached the function`);
        await channel.close();
        assert.deepEqual(await exited, { code: 0, signal: null });
      } finally {
        await listener.close();
      }
    });

    test(`${lang.name}: exits 1 with a message when HOTSWAP_CHANNEL_TCP does not answer`, async (t) => {
      const cmd = await lang.command();
      if (!cmd) return void (IS_CI ? assert.fail(`no ${lang.name} interpreter`) : t.skip(`no ${lang.name} interpreter`));
      const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "ignore", "pipe"], env: { PATH: "/usr/bin:/bin", HOTSWAP_CHANNEL_TCP: "127.0.0.1:1", HOTSWAP_CHANNEL_TOKEN: "x" } });
      let stderr = "";
      child.stderr!.on("data", (c) => (stderr += c));
      assert.deepEqual(await exitOf(child), { code: 1, signal: null });
      assert.match(stderr, /cannot connect to 127\.0\.0\.1:1/);
    });

    if (lang.name === "node") {
      test("node: a stem (HOTSWAP_STEM=1) warms up before hello, writes nothing of it, hides the variable from the function and then serves it", async () => {
        const cmd = (await lang.command())!;
        const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "pipe", "pipe"], env: { PATH: "/usr/bin:/bin", HOTSWAP_CHANNEL_FD: "3", HOTSWAP_STEM: "1" } });
        const exited = exitOf(child);
        let output = "";
        child.stdout!.on("data", (d) => (output += d));
        child.stderr!.on("data", (d) => (output += d));
        const channel = new FastChannel(child.stdio[3] as unknown as Duplex);
        assert.equal((await channel.hello).pid, child.pid);
        await channel.init({ ...initFor("node-env", "index.handler"), env: { FOO: "stem" } });
        const r = await channel.invoke({ requestId: "stem-1", payload: Buffer.from("{}"), deadlineMs: Date.now() + 3000 });
        assert.equal(r.kind, "success", JSON.stringify(r));
        const seen = JSON.parse((r as { payload: Buffer }).payload.toString());
        assert.equal(seen.FOO, "stem");
        for (const k of ["HOTSWAP_STEM", "HOTSWAP_CHANNEL_FD", "_X_AMZN_TRACE_ID"]) assert.equal(seen[k], undefined, `${k} reached the function`);
        assert.equal(seen.AWS_LAMBDA_FUNCTION_NAME, "node-env", "the function's own name, not the warm-up's");
        await channel.close();
        assert.deepEqual(await exited, { code: 0, signal: null });
        assert.equal(output, "", "the warm-up wrote nothing to the function's log");
      });
    }

    test(`${lang.name}: exits 0 promptly on SIGTERM, even in the middle of an invocation`, async (t) => {
      const cmd = await lang.command();
      if (!cmd) return void (IS_CI ? assert.fail(`no ${lang.name} interpreter`) : t.skip(`no ${lang.name} interpreter`));
      const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "ignore", "ignore", "pipe"], env: { PATH: "/usr/bin:/bin", HOTSWAP_CHANNEL_FD: "3" } });
      const exited = exitOf(child);
      const channel = new FastChannel(child.stdio[3] as unknown as Duplex);
      await channel.hello;
      await channel.init(initFor(lang.sleep.fixture, lang.sleep.handler));
      const pending = channel.invoke({ requestId: "long", payload: Buffer.from('{"ms":10000}'), deadlineMs: Date.now() + 20_000 });
      // The invocation is in the bootstrap's hands once the frame is written; give it a moment to start.
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      child.kill("SIGTERM");
      assert.deepEqual(await exited, { code: 0, signal: null });
      assert.ok(Date.now() - t0 < 1000, `exited in ${Date.now() - t0} ms`);
      assert.equal((await pending).kind, "platform-error");
    });
  }
});
