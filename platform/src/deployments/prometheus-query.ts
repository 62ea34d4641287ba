/**
 * A small Prometheus HTTP API client for rollout analysis: one instant query
 * (`GET /api/v1/query`), answered as one number, no data, or an error saying what went wrong.
 * Failures are values, not exceptions: the analysis counts them.
 */

export type QueryResult = { ok: true; value: number | null } | { ok: false; error: string };

export interface PrometheusTarget {
  address: string;
  bearerToken?: string;
  timeoutMs: number;
}

/**
 * Run `query` at the current time. A scalar or a vector of one sample is its value; an empty
 * vector or NaN is `null` (no data); several samples or another result type is an error, since a
 * threshold needs one number.
 */
export async function queryInstant(target: PrometheusTarget, query: string, fetchImpl: typeof fetch = fetch): Promise<QueryResult> {
  const url = `${target.address.replace(/\/+$/, "")}/api/v1/query?query=${encodeURIComponent(query)}`;
  let res: Response;
  try {
    res = await fetchImpl(url, {
      headers: target.bearerToken ? { authorization: `Bearer ${target.bearerToken}` } : {},
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (e) {
    const err = e as Error;
    const why = err.name === "TimeoutError" ? `no answer within ${target.timeoutMs} ms` : ((err.cause as Error | undefined)?.message ?? err.message);
    return { ok: false, error: `Prometheus at ${target.address} is unreachable: ${why}` };
  }
  const text = await res.text().catch(() => "");
  let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok || body?.status !== "success") {
    return { ok: false, error: `Prometheus at ${target.address} answered HTTP ${res.status}${body?.error ? `: ${body.error}` : ""}` };
  }
  return valueOf(body.data?.resultType, body.data?.result);
}

function valueOf(type: string | undefined, result: unknown): QueryResult {
  const number = (v: unknown) => {
    const n = Number((v as [number, string] | undefined)?.[1]);
    return Number.isNaN(n) ? null : n;
  };
  if (type === "scalar") return { ok: true, value: number(result) };
  if (type === "vector" && Array.isArray(result)) {
    if (result.length === 0) return { ok: true, value: null };
    if (result.length > 1) return { ok: false, error: `the query returned ${result.length} series; it must return one number (aggregate it, e.g. with sum())` };
    return { ok: true, value: number((result[0] as { value?: unknown }).value) };
  }
  return { ok: false, error: `the query returned a ${type ?? "malformed"} result; it must return one number (a scalar or a single-series vector)` };
}
