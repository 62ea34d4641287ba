/**
 * Stored log rows as they travel on the live channel between replicas: JSON arrays of rows with
 * their ids (a row may be a pack of several lines; followers expand it, see log-lines.ts), split so
 * no message grows past LIVE_MESSAGE_BYTES however large a read was.
 */
import { FunctionLogStream } from "../../../protocol/function-logs.ts";
import { LOG_PACK_STREAM } from "../../../protocol/function-log-rows.ts";
import type { StoredLogRow } from "../db/index.ts";

/** A row on the live channel: the stored row with `at` in epoch ms. */
export interface LiveRow extends Omit<StoredLogRow, "at"> {
  at: number;
}

/** Soft cap on one live-channel message (a single longer row still goes alone). */
export const LIVE_MESSAGE_BYTES = 256 * 1024;

/** The stored rows as live-channel messages, in id order. */
export function encodeLiveRows(rows: readonly StoredLogRow[]): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let bytes = 0;
  for (const r of rows) {
    const json = JSON.stringify([r.id, r.functionName, r.version, r.requestId, r.instanceId, r.at.getTime(), r.stream, r.message]);
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

/** The rows of a live-channel message; what is not a row is skipped (the channel is ours, but a mixed-version cluster may differ). */
export function decodeLiveRows(message: string): LiveRow[] {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return [];
  }
  if (!Array.isArray(json)) return [];
  const out: LiveRow[] = [];
  for (const t of json) {
    if (!Array.isArray(t) || t.length !== 8) continue;
    const [id, functionName, version, requestId, instanceId, at, stream, message] = t as unknown[];
    if (
      typeof id === "number" &&
      typeof functionName === "string" &&
      typeof version === "number" &&
      (requestId === null || typeof requestId === "string") &&
      typeof instanceId === "string" &&
      typeof at === "number" &&
      (stream === LOG_PACK_STREAM || FunctionLogStream.safeParse(stream).success) &&
      typeof message === "string"
    ) {
      out.push({ id, functionName, version, requestId, instanceId, at, stream: stream as LiveRow["stream"], message });
    }
  }
  return out;
}
