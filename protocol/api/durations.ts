/**
 * ISO-8601 durations as the API takes them (`PT10M`, `PT30S`, `PT0.5S`, `P1DT2H`): rollout steps,
 * idle timeouts, scaling windows. Here in the protocol because the request schemas check them,
 * and the platform's rollout planner computes with the same parser.
 * Years and months are refused: their length varies, and no rollout step needs them.
 */

const ISO_DURATION = /^P(?!$)(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds of an ISO-8601 duration, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const m = ISO_DURATION.exec(text);
  if (!m) return undefined;
  const [, w, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return Math.round(((((w! * 7 + d!) * 24 + h!) * 60 + min!) * 60 + s!) * 1000);
}

/** Human form for messages and events: 1500 → "1.5 s", 600000 → "10 min". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))} s`;
  if (ms < 3600_000) return `${Number((ms / 60_000).toFixed(1))} min`;
  return `${Number((ms / 3600_000).toFixed(1))} h`;
}
