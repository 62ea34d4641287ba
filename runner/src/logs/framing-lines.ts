/**
 * Lambda's framing lines around each invocation's output (stream `platform`), in Lambda's exact
 * wording so tools that parse CloudWatch logs read ours: START, END and REPORT with its
 * tab-separated fields (Init Duration only on a cold start).
 */

export interface ReportFields {
  requestId: string;
  /** Handler time in ms (init excluded). */
  durationMs: number;
  memorySizeMb: number;
  /** Peak memory of the instance in bytes, when known. */
  maxMemoryUsedBytes: number | undefined;
  /** Start or specialisation time in ms on a cold start (fresh or stem); undefined when warm. */
  initDurationMs?: number;
}

export function startLine(requestId: string, version: number | string): string {
  return `START RequestId: ${requestId} Version: ${version}`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

/** `REPORT RequestId: …\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB[\tInit Duration: 150.00 ms]` */
export function reportLine(f: ReportFields): string {
  const duration = Math.max(0, f.durationMs);
  const usedMb = f.maxMemoryUsedBytes === undefined ? 0 : Math.max(1, Math.round(f.maxMemoryUsedBytes / (1024 * 1024)));
  let line =
    `REPORT RequestId: ${f.requestId}\tDuration: ${duration.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(duration))} ms` +
    `\tMemory Size: ${f.memorySizeMb} MB\tMax Memory Used: ${usedMb} MB`;
  if (f.initDurationMs !== undefined) line += `\tInit Duration: ${f.initDurationMs.toFixed(2)} ms`;
  return line;
}
