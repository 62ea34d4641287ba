/**
 * Readable units for Pulumi args ("512 MB", "0.5 vCPU", "15 days"), as SST uses them,
 * and the small converters each target needs (Kubernetes quantities, Docker sizes, Prometheus durations).
 * Sizes are binary: 1 GB = 1024 MB, as in SST.
 */

export type Size = `${number} MB` | `${number} GB` | `${number} TB`;
export type Cpu = `${number} vCPU`;
export type Duration = `${number} ${"second" | "seconds" | "minute" | "minutes" | "hour" | "hours" | "day" | "days"}`;

const SIZE = /^(\d+(?:\.\d+)?)\s*(MB|GB|TB)$/;
const CPU = /^(\d+(?:\.\d+)?)\s*vCPU$/;
const DURATION = /^(\d+)\s*(second|minute|hour|day)s?$/;

export const SIZE_HINT = 'must be a size like "512 MB" or "10 GB"';
export const CPU_HINT = 'must be a CPU amount like "0.5 vCPU" or "2 vCPU"';
export const DURATION_HINT = 'must be a duration like "30 seconds", "10 minutes" or "15 days"';

export function isSize(value: unknown): value is Size {
  return typeof value === "string" && SIZE.test(value.trim()) && toMegabytes(value as Size) > 0;
}

export function isCpu(value: unknown): value is Cpu {
  return typeof value === "string" && CPU.test(value.trim()) && Number(CPU.exec(value.trim())![1]) > 0;
}

export function isDuration(value: unknown): value is Duration {
  return typeof value === "string" && DURATION.test(value.trim()) && toSeconds(value as Duration) > 0;
}

/** "512 MB" → 512, "10 GB" → 10240. Throws on anything else. */
export function toMegabytes(size: Size): number {
  const m = SIZE.exec(String(size).trim());
  if (!m) throw new Error(`"${size}" ${SIZE_HINT}`);
  const n = Number(m[1]);
  const mb = m[2] === "MB" ? n : m[2] === "GB" ? n * 1024 : n * 1024 * 1024;
  return Math.round(mb);
}

/** A Kubernetes quantity in MiB or GiB: "10 GB" → "10Gi", "512 MB" → "512Mi", "1.5 GB" → "1536Mi". */
export function toQuantity(size: Size): string {
  const mb = toMegabytes(size);
  return mb % 1024 === 0 ? `${mb / 1024}Gi` : `${mb}Mi`;
}

/** Whole gibibytes, rounded up (EBS and RDS sizes): "20 GB" → 20, "512 MB" → 1. */
export function toGigabytes(size: Size): number {
  return Math.ceil(toMegabytes(size) / 1024);
}

/** "0.5 vCPU" → 500 (millicores). */
export function toMillicores(cpu: Cpu): number {
  const m = CPU.exec(String(cpu).trim());
  if (!m) throw new Error(`"${cpu}" ${CPU_HINT}`);
  return Math.round(Number(m[1]) * 1000);
}

/** "0.5 vCPU" → "500m" for Kubernetes. */
export function toCpuQuantity(cpu: Cpu): string {
  return `${toMillicores(cpu)}m`;
}

/** "10 minutes" → 600. */
export function toSeconds(duration: Duration): number {
  const m = DURATION.exec(String(duration).trim());
  if (!m) throw new Error(`"${duration}" ${DURATION_HINT}`);
  const n = Number(m[1]);
  const unit = { second: 1, minute: 60, hour: 3600, day: 86400 }[m[2] as "second" | "minute" | "hour" | "day"];
  return n * unit;
}

/** "15 days" → "15d", "90 minutes" → "90m": Prometheus duration syntax. */
export function toPrometheusDuration(duration: Duration): string {
  const s = toSeconds(duration);
  if (s % 86400 === 0) return `${s / 86400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}
