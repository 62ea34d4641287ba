/**
 * A small SVG line chart (no library, no inline styles: colours come from the stylesheet's
 * series classes). Screen readers get the chart's title and each series' latest value.
 */
export interface Series {
  name: string;
  /** [x, y] points, x ascending (e.g. epoch ms). */
  points: Array<[number, number]>;
}

const W = 600;
const H = 180;
const PAD = { left: 44, right: 8, top: 10, bottom: 22 };

export function LineChart(props: { title: string; series: Series[]; unit?: string; xLabel?: (x: number) => string; yMax?: number; step?: boolean }) {
  const all = props.series.flatMap((s) => s.points);
  const fmtX = props.xLabel ?? ((x: number) => new Date(x).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
  const unit = props.unit ?? "";
  const summary = props.series.map((s) => `${s.name} ${s.points.length ? `${round(s.points[s.points.length - 1]![1])}${unit}` : "no data"}`).join(", ");
  if (all.length === 0) {
    return (
      <figure class="chart">
        <figcaption>{props.title}</figcaption>
        <p class="empty">No data yet.</p>
      </figure>
    );
  }
  const xs = all.map((p) => p[0]);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const yMax = props.yMax ?? Math.max(1e-9, ...all.map((p) => p[1])) * 1.1;
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.title}: ${summary}`}>
        <line class="axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
        <line class="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
        <text class="tick" x={PAD.left - 4} y={PAD.top + 8} text-anchor="end">
          {round(yMax)}
          {unit}
        </text>
        <text class="tick" x={PAD.left - 4} y={H - PAD.bottom} text-anchor="end">
          0
        </text>
        <text class="tick" x={PAD.left} y={H - 6}>
          {fmtX(x0)}
        </text>
        <text class="tick" x={W - PAD.right} y={H - 6} text-anchor="end">
          {fmtX(x1)}
        </text>
        {props.series.map((s, i) => (
          <g key={s.name} class={`series s${i}`}>
            <polyline points={(props.step ? stepped(s.points) : s.points).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ")} />
            {s.points.map(([x, y]) => (
              <circle cx={sx(x)} cy={sy(y)} r={2.5} />
            ))}
          </g>
        ))}
      </svg>
      <ul class="legend">
        {props.series.map((s, i) => (
          <li key={s.name} class={`s${i}`}>
            {s.name}
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** A value that holds until the next point (traffic weights): a horizontal then a vertical segment per change. */
function stepped(points: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  points.forEach(([x, y], i) => {
    if (i > 0) out.push([x, points[i - 1]![1]]);
    out.push([x, y]);
  });
  return out;
}

function round(n: number): number {
  return Math.abs(n) >= 10 ? Math.round(n) : Math.round(n * 100) / 100;
}
