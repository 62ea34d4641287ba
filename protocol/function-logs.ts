/**
 * Function logs on the wire: the record a runner makes of each line a function writes (and of the
 * platform's own framing lines, START / END / REPORT and truncation markers), and where runners
 * ship them. Runners append batches to one state-store stream; the control plane consumes it into
 * the database and fans each batch out to live tails on every replica. Shared by runner and platform.
 */
import { z } from "zod";

/** `platform` marks lines the platform writes: START, END, REPORT, truncation and crash notices. */
export const FunctionLogStream = z.enum(["stdout", "stderr", "platform"]);
export type FunctionLogStream = z.infer<typeof FunctionLogStream>;

export const FunctionLogRecord = z.object({
  functionName: z.string(),
  version: z.number().int().positive(),
  /** The invocation the line belongs to; null for lines written outside one (init, stray timers). */
  requestId: z.string().nullable(),
  instanceId: z.string(),
  /** Epoch milliseconds when the runner read the line. */
  at: z.number(),
  stream: FunctionLogStream,
  /** One line, without its newline. */
  message: z.string(),
});
export type FunctionLogRecord = z.infer<typeof FunctionLogRecord>;

/** A batch of records as one stream entry in field `records` (runners before packing; they now write `rows`, see function-log-rows.ts). */
export const FunctionLogBatch = z.array(FunctionLogRecord);

/** State-store stream runners append batches to (`xadd`, field `rows`), trimmed to a bounded length. */
export const FUNCTION_LOGS_STREAM = "hotswap:function-logs";
/** Entries kept in the stream when no consumer keeps up (approximate trim). */
export const FUNCTION_LOGS_STREAM_MAX_LEN = 10_000;
/** Pub/sub channel the control plane republishes stored batches on, for live tails on every replica. */
export const FUNCTION_LOGS_LIVE_CHANNEL = "hotswap:function-logs:live";

/** Bytes of an invocation's log returned by `LogType: Tail` (Lambda: the last 4 KB). */
export const LOG_TAIL_BYTES = 4096;
/** Longest line kept; longer lines are cut and end with LOG_LINE_CUT_MARKER. */
export const LOG_LINE_MAX_BYTES = 16 * 1024;
export const LOG_LINE_CUT_MARKER = " …[line truncated by HotSwap]";

/**
 * In-band request tag. HotSwap's own bootstraps start every line a handler writes during an
 * invocation with LOG_TAG_START, the request id, LOG_TAG_END, then the text:
 * `\x1e<requestId>\x1f<message>`. ASCII record/unit separators never occur in ordinary text, so
 * the tag is unambiguous and costs two bytes beyond the id. The runner strips the tag and keeps it
 * only when the id is an invocation in flight on that same instance (or one of its last that ended
 * there, for output read after END); lines without a (valid) tag
 * are attributed to the instance's single in-flight invocation, or to none.
 */
export const LOG_TAG_START = "\x1e";
export const LOG_TAG_END = "\x1f";
/** Longest request id a tag may carry; a longer "tag" is text. */
export const LOG_TAG_MAX_ID_LENGTH = 128;

/** Where a runner hands its records; the runner batches and ships them (see runner/src/logs). */
export interface FunctionLogSink {
  write(records: readonly FunctionLogRecord[]): void;
}
