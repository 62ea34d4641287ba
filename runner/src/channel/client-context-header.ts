/**
 * The value of Lambda-Runtime-Client-Context: the client context's JSON, as Lambda sends it.
 * Node writes header strings as Latin-1 and throws on anything it cannot write, which once let a
 * client context like {"custom":{"city":"東京"}} throw out of a request listener and take the
 * control plane down. So the JSON's UTF-8 bytes go out as a Latin-1 string of those bytes (what
 * any HTTP stack puts on the wire for a UTF-8 header); runtimes decode the header's bytes as UTF-8.
 */

/** Characters Node refuses in a header value (its checkInvalidHeaderChar). */
const INVALID = /[^\t\x20-\x7e\x80-\xff]/;

/** The header value for a base64 client context, or undefined when none can be sent safely. */
export function clientContextHeader(base64: string): string | undefined {
  const bytes = Buffer.from(base64, "base64");
  const wire = bytes.toString("latin1");
  if (!INVALID.test(wire)) return wire;
  // Control characters (only possible in a client context that is not clean JSON text): send
  // the same JSON value re-serialised in pure ASCII, or nothing if it is not JSON at all.
  try {
    const ascii = JSON.stringify(JSON.parse(bytes.toString("utf8"))).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    return INVALID.test(ascii) ? undefined : ascii;
  } catch {
    return undefined;
  }
}
