import assert from "node:assert/strict";
import { test } from "node:test";
import { createServer } from "node:net";
import { judgeMetrics, prometheusDuration, renderQuery } from "./prometheus-analysis.ts";
import { queryInstant } from "./prometheus-query.ts";

const analysis = (failAfterErrors = 3) => ({
  address: "http://prom:9090",
  failAfterErrors,
  metrics: [
    { name: "error-rate", query: "e", thresholdMax: 0.05 },
    { name: "rps", query: "r", thresholdMin: 1 },
  ],
});

test("substitutes {{function}}, {{version}} and {{interval}} as a Prometheus duration", () => {
  assert.equal(
    renderQuery('rate(x{function="{{function}}",version="{{ version }}"}[{{interval}}])', { function: "checkout", version: 3, intervalMs: 30_000 }),
    'rate(x{function="checkout",version="3"}[30s])',
  );
  assert.equal(prometheusDuration(1500), "1500ms");
  assert.equal(prometheusDuration(120_000), "120s");
});

test("passes when every value is within its thresholds", () => {
  assert.deepEqual(judgeMetrics(analysis(), [{ ok: true, value: 0.01 }, { ok: true, value: 5 }], 0), { kind: "pass", values: { "error-rate": 0.01, rps: 5 } });
});

test("a value above thresholdMax or below thresholdMin is a breach naming the metric, its value and the threshold", () => {
  const above = judgeMetrics(analysis(), [{ ok: true, value: 0.25 }, { ok: true, value: 5 }], 0);
  assert.deepEqual(above, { kind: "breach", reason: 'Prometheus metric "error-rate" is 0.25, above its thresholdMax 0.05', values: { "error-rate": 0.25 } });
  const below = judgeMetrics(analysis(), [{ ok: true, value: 0 }, { ok: true, value: 0.123456 }], 0);
  assert.equal(below.kind === "breach" && below.reason, 'Prometheus metric "rps" is 0.1235, below its thresholdMin 1');
});

test("no data is not judged, and says which metric had none", () => {
  assert.deepEqual(judgeMetrics(analysis(), [{ ok: true, value: null }, { ok: true, value: 4 }], 0), {
    kind: "no-data",
    values: { "error-rate": null, rps: 4 },
    missing: ["error-rate"],
  });
});

test("failed queries roll back only after failAfterErrors consecutive failed intervals; 0 never does", () => {
  const failed = [{ ok: false as const, error: "Prometheus at http://prom:9090 is unreachable: connect ECONNREFUSED" }, { ok: true as const, value: 3 }];
  const first = judgeMetrics(analysis(2), failed, 0);
  assert.equal(first.kind === "error" && first.rollBack, false);
  const second = judgeMetrics(analysis(2), failed, 1);
  assert.deepEqual(second, {
    kind: "error",
    reason:
      'Prometheus analysis failed: metric "error-rate": Prometheus at http://prom:9090 is unreachable: connect ECONNREFUSED; 2 consecutive failed analysis intervals reached failAfterErrors 2',
    failedIntervals: 2,
    rollBack: true,
  });
  const never = judgeMetrics(analysis(0), failed, 99);
  assert.equal(never.kind === "error" && never.rollBack, false);
});

test("the query client reports an unreachable Prometheus as a failure, not an exception", async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const r = await queryInstant({ address: `http://127.0.0.1:${port}`, timeoutMs: 2000 }, "up");
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : "", new RegExp(`^Prometheus at http://127\\.0\\.0\\.1:${port} is unreachable: .*ECONNREFUSED`));
});
