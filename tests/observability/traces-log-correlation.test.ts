/**
 * Correlation of the platform's own logs: a line the platform writes about an invocation (here the
 * runner's "invocation timed out" warning, written while the invocation is being handled) carries
 * the invocation's request id and trace id, the ones its response names, whether the caller sent a
 * traceparent or not (tracing off: the trace id is then the request id's hex digits).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createLogger } from "../../shared/logger.ts";
import { startServer, type RunningServer } from "../../platform/src/server.ts";
import { loadServerSettings } from "../../cli/server-settings.ts";
import { embeddedRunner } from "../../cli/embedded-runner.ts";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { deployFunction, nodeCode } from "../support/deploy.ts";
import { waitFor } from "../support/wait-for.ts";
import { callerTraceparent, invokeRaw, traceIdOfHeader } from "./trace-support.ts";

describe("the platform's logs about an invocation carry its request id and trace id", () => {
  const lines: any[] = [];
  let server: RunningServer;
  let dataDir: string;
  let target: { url: string; key: string };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "hs-log-correlation-"));
    const { key } = generateApiKey();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString("utf8").split("\n")) if (l.trim()) lines.push(JSON.parse(l));
        done();
      },
    });
    const { control, runner } = loadServerSettings({ PORT: "0", HOST: "127.0.0.1", HOTSWAP_DATA_DIR: dataDir, HOTSWAP_ADMIN_KEY: key, LOG_LEVEL: "warn" }, { hostname: hostname() });
    const log = createLogger(control.logLevel, "hotswap", sink);
    server = await startServer(control, log, embeddedRunner(runner, log));
    target = { url: server.url, key };
    await deployFunction(target, { name: "slow", timeout: 1, code: nodeCode("exports.handler = () => new Promise((r) => setTimeout(() => r('late'), 10000));") });
  });
  after(async () => {
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const timedOutLine = (requestId: string) => waitFor(`the timeout line of ${requestId}`, () => lines.find((l) => l.msg === "invocation timed out; killing instance" && l.requestId === requestId), { timeoutMs: 10_000 });

  test("with the caller's traceparent", async () => {
    const caller = callerTraceparent();
    const r = await invokeRaw(target, "hotswap", "slow", {}, { traceparent: caller.traceparent });
    assert.equal(r.status, 504, JSON.stringify(r.json));
    const line = await timedOutLine(r.headers.get("x-request-id")!);
    assert.equal(line.traceId, caller.traceId);
    assert.equal(traceIdOfHeader(r.headers.get("traceparent")), caller.traceId);
  });

  test("without one: the trace id the response names", async () => {
    const r = await invokeRaw(target, "hotswap", "slow", {});
    const line = await timedOutLine(r.headers.get("x-request-id")!);
    assert.equal(line.traceId, traceIdOfHeader(r.headers.get("traceparent")));
  });
});
