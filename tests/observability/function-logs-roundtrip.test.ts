/**
 * Function logs end to end, on real runners: Node and Python functions, on the fast channel and
 * the Runtime API, write lines every way a handler writes; each line is read back by its request id
 * through the logs API, through a live tail, and through `LogType: Tail` (the HotSwap path and the
 * AWS SDK's LogResult). Once with the embedded runner (`npm start`), once with a control plane and
 * a `hotswap runner` process sharing Postgres and Redis (what `pulumi up` deploys).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { ApiClient } from "../../client/index.ts";
import type { FunctionLogLine } from "../../protocol/api/logs.ts";
import { apiOf, deployFunction, expectOk } from "../support/deploy.ts";
import { it, serversSkipReason, SkipError, startPlatform, type TestPlatform } from "../support/platform.ts";
import { waitFor } from "../support/wait-for.ts";
import { startCluster, type Cluster } from "../fleet/support/cluster.ts";

interface Variant {
  name: string;
  runtime: "nodejs20" | "python3.12";
  protocol: "fast" | "runtime-api";
}

const VARIANTS: Variant[] = [
  { name: "logs-node-fast", runtime: "nodejs20", protocol: "fast" },
  { name: "logs-node-rapi", runtime: "nodejs20", protocol: "runtime-api" },
  { name: "logs-py-fast", runtime: "python3.12", protocol: "fast" },
  { name: "logs-py-rapi", runtime: "python3.12", protocol: "runtime-api" },
];

/** What the log-mix fixtures write for `tag`, in order (Python's logging line has its level). */
function handlerLines(v: Variant, tag: string): Array<[stream: string, message: string]> {
  return [
    ["stdout", `one ${tag}`],
    ["stdout", `two ${tag}`],
    ["stderr", `three ${tag}`],
    ["stderr", `four ${tag}`],
    ["stderr", v.runtime === "nodejs20" ? `five ${tag}` : `INFO five ${tag}`],
  ];
}

/** The invocation's lines as Lambda frames them: START, the handler's lines, END, REPORT. */
function assertFramed(lines: Array<Pick<FunctionLogLine, "stream" | "message">>, v: Variant, tag: string, requestId: string): void {
  const messages = lines.map((l) => l.message);
  assert.equal(messages[0], `START RequestId: ${requestId} Version: 1`, messages.join("\n"));
  assert.deepEqual(
    lines.filter((l) => l.stream !== "platform").map((l) => [l.stream, l.message]),
    handlerLines(v, tag),
  );
  assert.equal(messages.at(-2), `END RequestId: ${requestId}`);
  assert.match(messages.at(-1)!, new RegExp(`^REPORT RequestId: ${requestId}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB`));
}

/** The stored lines of one invocation, once its REPORT line is stored. */
async function storedLines(api: ApiClient, fn: string, requestId: string): Promise<FunctionLogLine[]> {
  return waitFor(
    `the REPORT line of ${requestId} in ${fn}'s logs`,
    async () => expectOk(await api.logs.functionLogs(fn, { requestId, limit: 100 }), `logs of ${fn}`).lines,
    { timeoutMs: 15_000, intervalMs: 100, until: (lines) => lines.some((l) => l.message.startsWith("REPORT ")) },
  );
}

function roundTrip(target: () => { url: string; key: string }) {
  for (const v of VARIANTS) {
    it(`${v.runtime} on ${v.protocol}: every line back by request id through the API, a live tail and LogType Tail`, async () => {
      const t = target();
      const api = apiOf(t);
      const handler = v.runtime === "nodejs20" ? "index.handler" : "handler.handler";
      const fixture = v.runtime === "nodejs20" ? "node-log-mix" : "python-log-mix";
      await deployFunction(t, { name: v.name, runtime: v.runtime, handler, protocol: v.protocol, memorySize: 256, code: { fixture } });

      // 1. The HotSwap path with x-hotswap-log-type: Tail, then the same lines from the API.
      const first = expectOk(await api.invoke(v.name, { tag: "alpha" }, { logType: "Tail" }), `invoking ${v.name}`);
      assert.deepEqual(first.payload, { tag: "alpha" });
      const requestId = first.requestId!;
      assert.ok(first.logResult, "the answer carries the log tail");
      const tail = first.logResult.trimEnd().split("\n").map((message) => ({ stream: "", message }));
      const five = handlerLines(v, "alpha")[4]![1];
      assert.ok(tail.some((l) => l.message === "one alpha") && tail.some((l) => l.message === five), first.logResult);
      assert.equal(tail[0]!.message, `START RequestId: ${requestId} Version: 1`);
      assert.match(tail.at(-1)!.message, new RegExp(`^REPORT RequestId: ${requestId}\\t`));
      const stored = await storedLines(api, v.name, requestId);
      assert.ok(stored.every((l) => l.requestId === requestId && l.functionName === v.name && l.version === 1 && l.instanceId), JSON.stringify(stored));
      assertFramed(stored, v, "alpha", requestId);

      // 2. A live tail started before the call sees the next invocation's lines as they are stored.
      const abort = new AbortController();
      const seen: FunctionLogLine[] = [];
      const tailing = (async () => {
        for await (const e of api.logs.follow(v.name, { limit: 1, since: Date.now() }, { signal: abort.signal })) {
          if (e.type === "end") return;
          seen.push(e.line);
          if (e.line.message.startsWith("REPORT ") && seen.some((l) => l.requestId === e.line.requestId && l.message === "one beta")) return;
        }
      })().catch((e: Error) => {
        if (e.name !== "AbortError") throw e;
      });
      await new Promise((r) => setTimeout(r, 300)); // the tail is subscribed before the call
      const second = expectOk(await api.invoke(v.name, { tag: "beta" }), `invoking ${v.name} again`);
      const timer = setTimeout(() => abort.abort(), 15_000);
      await tailing;
      clearTimeout(timer);
      const live = seen.filter((l) => l.requestId === second.requestId);
      assert.ok(live.length > 0, `the live tail saw none of ${second.requestId}: ${JSON.stringify(seen)}`);
      assertFramed(live, v, "beta", second.requestId!);

      // 3. The AWS SDK's LogResult on the Lambda path.
      const [, id, secret] = /^hs_([a-z0-9]+)_(.+)$/.exec(t.key)!;
      const lambda = new LambdaClient({ endpoint: t.url, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: `hs_${id}`, secretAccessKey: secret! } });
      try {
        const out = await lambda.send(new InvokeCommand({ FunctionName: v.name, LogType: "Tail", Payload: JSON.stringify({ tag: "gamma" }) }));
        assert.equal(out.StatusCode, 200);
        const text = Buffer.from(out.LogResult ?? "", "base64").toString("utf8");
        const sdkLines = text.trimEnd().split("\n");
        const sdkRequestId = out.$metadata.requestId!;
        assert.equal(sdkLines[0], `START RequestId: ${sdkRequestId} Version: 1`, text);
        assert.ok(sdkLines.includes("one gamma") && sdkLines.includes("four gamma"), text);
        assertFramed(await storedLines(api, v.name, sdkRequestId), v, "gamma", sdkRequestId);
      } finally {
        lambda.destroy();
      }
    }, { timeout: 90_000 });
  }
}

describe("function logs round trip, embedded runner", () => {
  let platform: TestPlatform | undefined;
  before(async () => {
    platform = await startPlatform("embedded");
  });
  after(async () => {
    await platform?.close();
  });
  roundTrip(() => platform!);
});

describe("function logs round trip, control plane and a hotswap runner process (Postgres, Redis)", () => {
  let skip: string | undefined;
  let cluster: Cluster | undefined;
  before(async () => {
    skip = await serversSkipReason();
    if (skip) return;
    cluster = await startCluster({ runners: 1 });
    await cluster.waitForRunners([cluster.runners[0]!.id], 20_000);
  });
  after(async () => {
    await cluster?.close();
  });
  roundTrip(() => {
    if (skip) throw new SkipError(skip);
    return cluster!.cp;
  });
});
