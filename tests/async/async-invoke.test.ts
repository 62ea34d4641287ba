/**
 * End-to-end: asynchronous invocation on the embedded stores and on Postgres + Redis: 202 once
 * queued, on HotSwap's path and through @aws-sdk/client-lambda's InvocationType Event; Lambda's
 * retries into on-failure destinations (a function, and a queue on Redis), on-success destinations,
 * the event age, the 256 KB limit, idempotent request ids, and the records API.
 */
import assert from "node:assert/strict";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { RedisStateStore } from "../../shared/state/redis-state-store.ts";
import { forEachMode, it, type TestPlatform } from "../support/platform.ts";
import { TEST_REDIS_URL } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";
import { apiOf, deployInline, ECHO, FAILS, FAST_ASYNC_ENV, finalRecord, finalRecordsOf } from "./support.ts";

function lambdaClient(p: TestPlatform): LambdaClient {
  const [, id, secret] = /^hs_([a-z0-9]+)_(.+)$/.exec(p.key)!;
  return new LambdaClient({ endpoint: p.url, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: `hs_${id}`, secretAccessKey: secret! } });
}

forEachMode(
  "asynchronous invocation",
  (p, mode) => {
    it("answers 202 with the request id once queued, then runs the event and records the result", async () => {
      const api = apiOf(p());
      await deployInline(p(), "aecho", ECHO);
      const queued = await api.async.invoke("aecho", { n: 1 });
      assert.ok(queued.ok, JSON.stringify(queued));
      assert.equal(queued.status, 202);
      assert.equal(queued.value.status, "Queued");
      const rec = await finalRecord(api, queued.value.requestId);
      assert.equal(rec.status, "Succeeded");
      assert.equal(rec.source, "async");
      assert.equal(rec.version, 1);
      assert.equal(rec.attempts.length, 1);
      assert.equal(rec.attempts[0]!.error, undefined);
      const result = JSON.parse(rec.result!);
      assert.deepEqual(result.got, { n: 1 });
      assert.equal(result.requestId, queued.value.requestId, "the function sees the queued request id");
      assert.ok(rec.startedAt && rec.finishedAt && rec.finishedAt >= rec.startedAt);
    });

    it("takes InvocationType Event from the AWS SDK: StatusCode 202 and an empty payload", async () => {
      const lambda = lambdaClient(p());
      const out = await lambda.send(new InvokeCommand({ FunctionName: "aecho", InvocationType: "Event", Payload: JSON.stringify({ via: "sdk" }) }));
      lambda.destroy();
      assert.equal(out.StatusCode, 202);
      assert.equal(out.Payload?.length ?? 0, 0);
      const requestId = out.$metadata.requestId!;
      assert.ok(requestId);
      const rec = await finalRecord(apiOf(p()), requestId);
      assert.equal(rec.status, "Succeeded");
      assert.deepEqual(JSON.parse(rec.result!).got, { via: "sdk" });
    });

    it("refuses before queuing: a missing function (404), an event over 256 KB (413), an unknown type (400)", async () => {
      const api = apiOf(p());
      const missing = await api.async.invoke("nope-async", {});
      assert.equal(missing.ok, false);
      assert.equal(!missing.ok && missing.error.code, "FunctionNotFound");
      const big = await api.async.invoke("aecho", { s: "x".repeat(256 * 1024) });
      assert.equal(!big.ok && big.error.status, 413);
      assert.match(!big.ok ? big.error.message : "", /256 KB\) limit for asynchronous invocations/);
      const lambda = lambdaClient(p());
      await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: "aecho", InvocationType: "Event", Payload: JSON.stringify({ s: "x".repeat(256 * 1024) }) })), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(e.$metadata?.httpStatusCode, 413);
        return true;
      });
      lambda.destroy();
      const bogus = await p().api("POST", "/api/v1/functions/aecho/invoke", {}, { "x-amz-invocation-type": "Later" });
      assert.equal(bogus.status, 400);
      assert.equal(bogus.json.error.message, 'InvocationType "Later" is not supported; use RequestResponse, Event.');
      // Nothing was recorded for the refusals: only the two events above exist.
      const list = await api.async.list("aecho");
      assert.ok(list.ok);
      assert.equal(list.value.invocations.length, 2);
    });

    it("queues a request id once: the same id again is a counted duplicate, not a second run", async () => {
      const api = apiOf(p());
      const headers = { "x-request-id": `dup-${mode}-1` };
      const a = await api.async.invoke("aecho", { n: 2 }, { headers });
      const b = await api.async.invoke("aecho", { n: 2 }, { headers });
      assert.ok(a.ok && b.ok);
      assert.equal(a.value.requestId, b.value.requestId);
      const rec = await finalRecord(api, `dup-${mode}-1`);
      assert.equal(rec.status, "Succeeded");
      assert.equal(rec.attempts.length, 1);
      assert.equal(rec.duplicates, 1);
    });

    it("retries a failing function twice with the configured delays, then sends Lambda's record to the on-failure function", async () => {
      const api = apiOf(p());
      await deployInline(p(), "afail", FAILS);
      await deployInline(p(), "adlq", ECHO);
      const put = await api.async.putConfig("afail", { destinationConfig: { onFailure: { destination: "function:adlq" } } });
      assert.ok(put.ok, JSON.stringify(put));
      assert.equal(put.value.maximumRetryAttempts, 2);
      assert.equal(put.value.maximumEventAgeInSeconds, 21600);
      const queued = await api.async.invoke("afail", { order: 7 });
      assert.ok(queued.ok);
      const rec = await finalRecord(api, queued.value.requestId);
      assert.equal(rec.status, "DeadLettered");
      assert.equal(rec.destination, "function:adlq");
      assert.equal(rec.attempts.length, 3, "the first attempt and two retries");
      for (const a of rec.attempts) {
        assert.equal(a.counted, true);
        assert.equal(a.error?.errorType, "BoomError");
      }
      const gaps = rec.attempts.slice(1).map((a, i) => Date.parse(a.at) - Date.parse(rec.attempts[i]!.at));
      assert.ok(gaps[0]! >= 100 && gaps[1]! >= 200, `retry delays honoured: ${gaps}`);
      assert.deepEqual(rec.error, { errorType: "BoomError", errorMessage: 'boom {"order":7}' });
      // The destination function ran with the destination record as its event.
      const [dlq] = await finalRecordsOf(api, "adlq", 1);
      const record = JSON.parse(dlq!.result!).got;
      assert.equal(record.version, "1.0");
      assert.equal(record.requestContext.requestId, queued.value.requestId);
      assert.equal(record.requestContext.condition, "RetriesExhausted");
      assert.equal(record.requestContext.approximateInvokeCount, 3);
      assert.match(record.requestContext.functionArn, /^arn:aws:lambda:us-east-1:000000000000:function:afail:/);
      assert.deepEqual(record.requestPayload, { order: 7 });
      assert.equal(record.responseContext.statusCode, 200);
      assert.equal(record.responseContext.executedVersion, "1");
      assert.equal(record.responseContext.functionError, "Unhandled");
      assert.equal(record.responsePayload.errorType, "BoomError");
    });

    it("sends successes to the on-success destination with maximumRetryAttempts 0 and the Success condition", async () => {
      const api = apiOf(p());
      await deployInline(p(), "aok", ECHO);
      await deployInline(p(), "aoksink", ECHO);
      const put = await api.async.putConfig("aok", { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60, destinationConfig: { onSuccess: { destination: "arn:aws:lambda:us-east-1:000000000000:function:aoksink" } } });
      assert.ok(put.ok);
      const got = await api.async.getConfig("aok");
      assert.ok(got.ok);
      assert.equal(got.value.maximumRetryAttempts, 0);
      const queued = await api.async.invoke("aok", { hello: "world" });
      assert.ok(queued.ok);
      const rec = await finalRecord(api, queued.value.requestId);
      assert.equal(rec.status, "Succeeded");
      assert.equal(rec.destination, "arn:aws:lambda:us-east-1:000000000000:function:aoksink");
      const [sink] = await finalRecordsOf(api, "aoksink", 1);
      const record = JSON.parse(sink!.result!).got;
      assert.equal(record.requestContext.condition, "Success");
      assert.equal(record.requestContext.approximateInvokeCount, 1);
      assert.deepEqual(record.responsePayload.got, { hello: "world" });
      assert.equal(record.responseContext.functionError, undefined);
    });

    it("validates the event-invoke config with precise 400s and deletes it back to the defaults", async () => {
      const api = apiOf(p());
      const tooMany = await api.async.putConfig("aok", { maximumRetryAttempts: 3 });
      assert.equal(!tooMany.ok && tooMany.error.message, 'body field "maximumRetryAttempts": must be 0, 1 or 2 (as in Lambda)');
      const young = await api.async.putConfig("aok", { maximumEventAgeInSeconds: 59 });
      assert.equal(!young.ok && young.error.message, 'body field "maximumEventAgeInSeconds": must be at least 60 seconds (as in Lambda)');
      const badDest = await api.async.putConfig("aok", { destinationConfig: { onFailure: { destination: "sqs:nope" } } });
      assert.match(!badDest.ok ? badDest.error.message : "", /^body field "destinationConfig.onFailure.destination": destination "sqs:nope" must be function:<name>/);
      const pascal = await p().api("PUT", "/api/v1/functions/aok/event-invoke-config", { MaximumRetryAttempts: 1 });
      assert.equal(pascal.status, 400);
      assert.match(pascal.json.error.message, /MaximumRetryAttempts/);
      const noFn = await api.async.putConfig("nope-async", {});
      assert.equal(!noFn.ok && noFn.error.code, "FunctionNotFound");
      const del = await api.async.deleteConfig("aok");
      assert.ok(del.ok);
      const after = await api.async.getConfig("aok");
      assert.equal(!after.ok && after.error.code, "EventInvokeConfigNotFound");
    });

    it("lists a function's records newest first, filtered by status and source, paged by cursor", async () => {
      const api = apiOf(p());
      await deployInline(p(), "apaged", ECHO);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const q = await api.async.invoke("apaged", { i });
        assert.ok(q.ok);
        ids.push(q.value.requestId);
      }
      await finalRecordsOf(api, "apaged", 5);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        const r = await api.async.list("apaged", { limit: 2, cursor, status: "Succeeded", source: "async" });
        assert.ok(r.ok);
        seen.push(...r.value.invocations.map((i) => i.requestId));
        cursor = r.value.nextCursor;
        if (!cursor) break;
      }
      assert.deepEqual([...seen].sort(), [...ids].sort());
      assert.equal(new Set(seen).size, 5);
      const none = await api.async.list("apaged", { status: "Failed" });
      assert.ok(none.ok);
      assert.equal(none.value.invocations.length, 0);
      const badCursor = await api.async.list("apaged", { cursor: "not-a-cursor" });
      assert.equal(!badCursor.ok && badCursor.error.status, 400);
      const unknown = await api.async.get("no-such-request");
      assert.equal(!unknown.ok && unknown.error.code, "InvocationNotFound");
    });

    if (mode === "servers") {
      it("sends the failure record to a queue destination (a Redis stream)", async () => {
        const api = apiOf(p());
        const stream = `hs-test-dlq-${Date.now()}`;
        await deployInline(p(), "aqfail", FAILS);
        const put = await api.async.putConfig("aqfail", { maximumRetryAttempts: 1, destinationConfig: { onFailure: { destination: `queue:${stream}` } } });
        assert.ok(put.ok);
        const queued = await api.async.invoke("aqfail", { q: 1 });
        assert.ok(queued.ok);
        const rec = await finalRecord(api, queued.value.requestId);
        assert.equal(rec.status, "DeadLettered");
        assert.equal(rec.attempts.length, 2);
        const redis = new RedisStateStore({ url: TEST_REDIS_URL });
        try {
          await redis.createGroup(stream, "test", "0");
          const entries = await redis.readGroup(stream, "test", "reader", { count: 10 });
          assert.equal(entries.length, 1);
          const record = JSON.parse(entries[0]!.fields.body!);
          assert.equal(record.requestContext.condition, "RetriesExhausted");
          assert.equal(record.requestContext.approximateInvokeCount, 2);
          assert.deepEqual(record.requestPayload, { q: 1 });
        } finally {
          await redis.close();
        }
      });
    }
  },
  FAST_ASYNC_ENV,
);

forEachMode(
  "asynchronous invocation past its maximum age",
  (p) => {
    it("ends EventAgeExceeded when the next retry would fall after maximumEventAgeInSeconds", async () => {
      const api = apiOf(p());
      await deployInline(p(), "aold", FAILS);
      await deployInline(p(), "aoldsink", ECHO);
      const put = await api.async.putConfig("aold", { maximumEventAgeInSeconds: 60, destinationConfig: { onFailure: { destination: "function:aoldsink" } } });
      assert.ok(put.ok);
      const queued = await api.async.invoke("aold", {});
      assert.ok(queued.ok);
      const rec = await finalRecord(api, queued.value.requestId);
      assert.equal(rec.status, "DeadLettered");
      assert.equal(rec.attempts.length, 1, "no retry two minutes later for an event that may live one");
      const [sink] = await finalRecordsOf(api, "aoldsink", 1);
      assert.equal(JSON.parse(sink!.result!).got.requestContext.condition, "EventAgeExceeded");
      await waitFor("nothing else pending", async () => (await api.async.list("aold")).ok);
    });
  },
  { HOTSWAP_ASYNC_RETRY_DELAYS: "PT2M,PT2M" },
);
