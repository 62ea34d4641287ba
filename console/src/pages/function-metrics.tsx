/**
 * A function's charts: invocations, errors and cold starts per hour over the last 24 hours (the
 * usage API), and p50/p99 latency sampled from GET /metrics every 5 s while the page is open (the
 * quantiles of each sample's new observations in hotswap_invocation_duration_seconds).
 */
import { useEffect, useState } from "preact/hooks";
import type { FunctionUsage } from "../../../protocol/api/usage.ts";
import { useSession } from "../session.ts";
import { LineChart } from "../chart.tsx";
import { Loading, Section, useResult } from "../ui.tsx";

const SAMPLE_MS = 5000;

export function Overview({ name }: { name: string }) {
  const { api, can, me } = useSession();
  const usage = useResult<FunctionUsage | undefined>(
    async () => (can("usage:read") ? api.functionUsage(name, { granularity: "hour" }) : { ok: true as const, status: 200, value: undefined }),
    [name],
    30_000,
  );
  const buckets = usage.value?.buckets ?? [];
  const at = (b: { start: string }) => Date.parse(b.start);
  return (
    <>
      <Section title="Usage (last 24 hours, per hour)">
        <Loading loaded={usage} />
        {usage.value && (
          <>
            <p class="meta">
              {usage.value.total.invocations} invocations · {usage.value.total.errors} errors · {usage.value.total.coldStarts} cold starts
            </p>
            <div class="charts">
              <LineChart title="Invocations" series={[{ name: "invocations", points: buckets.map((b) => [at(b), b.invocations]) }]} />
              <LineChart title="Errors" series={[{ name: "errors", points: buckets.map((b) => [at(b), b.errors]) }]} />
              <LineChart title="Cold starts" series={[{ name: "cold starts", points: buckets.map((b) => [at(b), b.coldStarts]) }]} />
            </div>
          </>
        )}
        {!can("usage:read") && <p>This credential may not read usage.</p>}
      </Section>
      {can("metrics:read") && !me.functions && <Latency name={name} />}
    </>
  );
}

/** Cumulative histogram buckets (upper bound in seconds → count) of one function's invocation durations, summed over its other labels. */
export function durationBuckets(exposition: string, fn: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of exposition.split("\n")) {
    if (!line.startsWith("hotswap_invocation_duration_seconds_bucket{")) continue;
    const labels = line.slice(line.indexOf("{") + 1, line.lastIndexOf("}"));
    if (!labels.split(",").includes(`function="${fn}"`)) continue;
    const le = /le="([^"]+)"/.exec(labels)?.[1];
    if (!le) continue;
    const bound = le === "+Inf" ? Infinity : Number(le);
    out.set(bound, (out.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return out;
}

/** The q-quantile in ms of the observations between two cumulative histograms (linear within a bucket, as histogram_quantile). */
export function quantileMs(before: Map<number, number>, after: Map<number, number>, q: number): number | undefined {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const upper = bounds[i] === Infinity ? lower : bounds[i]!;
      const below = i === 0 ? 0 : counts[i - 1]!;
      const inBucket = counts[i]! - below;
      const share = inBucket > 0 ? (rank - below) / inBucket : 1;
      return (lower + (upper - lower) * share) * 1000;
    }
  }
  return undefined;
}

function Latency({ name }: { name: string }) {
  const { api } = useSession();
  const [points, setPoints] = useState<Array<{ at: number; p50: number; p99: number }>>([]);
  const [note, setNote] = useState<string | undefined>();
  useEffect(() => {
    let last: Map<number, number> | undefined;
    let live = true;
    const sample = async () => {
      const r = await api.system.metrics();
      if (!live) return;
      if (!r.ok) return setNote(`${r.error.code}: ${r.error.message}`);
      const now = durationBuckets(r.value, name);
      if (last) {
        const p50 = quantileMs(last, now, 0.5);
        const p99 = quantileMs(last, now, 0.99);
        if (p50 !== undefined && p99 !== undefined) setPoints((ps) => [...ps.slice(-119), { at: Date.now(), p50, p99 }]);
      }
      last = now;
    };
    void sample();
    const timer = setInterval(sample, SAMPLE_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [name]);
  return (
    <Section title="Latency (sampled every 5 s while this page is open)">
      {note && <p class="hint">{note}</p>}
      <LineChart
        title="p50 and p99 (ms)"
        unit=" ms"
        series={[
          { name: "p50", points: points.map((p) => [p.at, p.p50]) },
          { name: "p99", points: points.map((p) => [p.at, p.p99]) },
        ]}
      />
    </Section>
  );
}
