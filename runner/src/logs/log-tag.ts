/**
 * The in-band request tag HotSwap's bootstraps put in front of each line a handler writes
 * (protocol/function-logs.ts: `\x1e<requestId>\x1f<message>`). Parsing only: whether the id may
 * be trusted is the instance log's decision (instance-log.ts).
 */
import { LOG_TAG_END, LOG_TAG_MAX_ID_LENGTH, LOG_TAG_START } from "../../../protocol/function-logs.ts";

export interface TaggedLine {
  requestId: string;
  message: string;
}

const START = LOG_TAG_START.charCodeAt(0);

/** The tag and the text after it, or undefined when the line carries no well-formed tag. */
export function parseTag(line: string): TaggedLine | undefined {
  if (line.charCodeAt(0) !== START) return undefined;
  const end = line.indexOf(LOG_TAG_END, 1);
  if (end <= 1 || end > LOG_TAG_MAX_ID_LENGTH + 1) return undefined;
  return { requestId: line.slice(1, end), message: line.slice(end + 1) };
}

/** The tag a bootstrap writes (tests and documentation; the bootstraps build it themselves). */
export function tagLine(requestId: string, message: string): string {
  return `${LOG_TAG_START}${requestId}${LOG_TAG_END}${message}`;
}
