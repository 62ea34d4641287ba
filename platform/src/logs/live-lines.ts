/**
 * Stored log lines as the API shows them (FunctionLogLine) and as they travel on the live channel
 * between replicas: JSON arrays of lines with their ids, split so no message grows past
 * LIVE_MESSAGE_BYTES however large a read was.
 */
import type { FunctionLogLine } from "../../../protocol/api/logs.ts";
import { FunctionLogStream } from "../../../protocol/function-logs.ts";
import type { StoredLogLine } from "../db/index.ts";

/** A line on the live channel: the stored line with `at` in epoch ms. */
export interface LiveLine extends Omit<StoredLogLine, "at"> {
  at: number;
}

/** Soft cap on one live-channel message (a single longer line still goes alone). */
export const LIVE_MESSAGE_BYTES = 256 * 1024;

/** The stored lines as live-channel messages, in id order. */
export function encodeLiveLines(lines: readonly StoredLogLine[]): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let bytes = 0;
  for (const l of lines) {
    const json = JSON.stringify({ ...l, at: l.at.getTime() } satisfies LiveLine);
    if (parts.length > 0 && bytes + json.length > LIVE_MESSAGE_BYTES) {
      out.push(`[${parts.join(",")}]`);
      parts = [];
      bytes = 0;
    }
    parts.push(json);
    bytes += json.length;
  }
  if (parts.length > 0) out.push(`[${parts.join(",")}]`);
  return out;
}

/** The lines of a live-channel message; what is not a line is skipped (the channel is ours, but a mixed-version cluster may differ). */
export function decodeLiveLines(message: string): LiveLine[] {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return [];
  }
  if (!Array.isArray(json)) return [];
  return json.filter(isLiveLine);
}

function isLiveLine(v: unknown): v is LiveLine {
  const l = v as Partial<LiveLine> | null;
  return (
    typeof l === "object" &&
    l !== null &&
    typeof l.id === "number" &&
    typeof l.functionName === "string" &&
    typeof l.version === "number" &&
    (l.requestId === null || typeof l.requestId === "string") &&
    typeof l.instanceId === "string" &&
    typeof l.at === "number" &&
    FunctionLogStream.safeParse(l.stream).success &&
    typeof l.message === "string"
  );
}

/** A line as the API answers it. */
export function toLogLine(l: StoredLogLine | LiveLine): FunctionLogLine {
  return {
    at: (typeof l.at === "number" ? new Date(l.at) : l.at).toISOString(),
    functionName: l.functionName,
    version: l.version,
    requestId: l.requestId,
    instanceId: l.instanceId,
    stream: l.stream,
    message: l.message,
  };
}
