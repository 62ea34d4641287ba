/**
 * Lambda's `LogType` on both invoke paths: `Tail` (X-Amz-Log-Type on the Lambda path,
 * x-hotswap-log-type on HotSwap's) asks the runner for the invocation's log tail, answered base64
 * in X-Amz-Log-Result / x-hotswap-log-result; `None` or no header asks for nothing; any other value
 * is a 400 (InvalidParameterValueException on the Lambda path, as AWS answers).
 */
import { ApiError } from "../../../../protocol/errors.ts";
import { LOG_TAIL_BYTES } from "../../../../protocol/function-logs.ts";
import type { InvokeOutcome } from "../../../../protocol/invoke.ts";

/** Whether `value` asks for the log tail; an ApiError for a value that is neither Tail nor None. */
export function logTypeOf(value: string | undefined, header: string): boolean | ApiError {
  if (value === undefined || value === "None") return false;
  if (value === "Tail") return true;
  return new ApiError("ValidationError", `${header} "${value.slice(0, 40)}" is not valid; use Tail (return the last 4 KB of the invocation's log) or None.`);
}

/** The log-result header's value: base64 of the outcome's log tail, at most its last LOG_TAIL_BYTES bytes; undefined without one. */
export function logResultOf(outcome: InvokeOutcome | undefined): string | undefined {
  const tail = outcome?.logTail;
  if (tail === undefined) return undefined;
  let bytes = Buffer.from(tail, "utf8");
  if (bytes.length > LOG_TAIL_BYTES) {
    let start = bytes.length - LOG_TAIL_BYTES;
    // Never start inside a UTF-8 sequence: skip its continuation bytes.
    while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
    bytes = bytes.subarray(start);
  }
  return bytes.toString("base64");
}
