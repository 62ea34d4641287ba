/**
 * Error documents: what a runtime reports when a handler fails or cannot load. Each runtime posts
 * its own shape (AWS's Node.js runtime `{errorType, errorMessage, trace}`, AWS's Python runtime
 * `{errorMessage, errorType, requestId, stackTrace}`, a custom runtime whatever it likes); the
 * Lambda path answers it exactly as posted, and HotSwap's own path answers its documented shape
 * `{errorType, errorMessage, stackTrace}`. Runner and control plane both read documents here.
 */

export interface ErrorFields {
  errorType: string;
  errorMessage: string;
  stackTrace: string[];
}

/** Longest text kept from a body that is not a JSON object. */
const MAX_TEXT = 64 * 1024;

/**
 * The document a runtime posted, kept byte for byte when it is a JSON object; otherwise (not JSON,
 * a bare string or number) one is made: `errorType` from the runtime's error-type header, the body
 * as the message.
 */
export function errorDocument(body: Buffer, headerType?: string): Buffer {
  const parsed = parseObject(body);
  if (parsed !== undefined) return body;
  let message: string;
  try {
    const v: unknown = body.length ? JSON.parse(body.toString("utf8")) : undefined;
    message = v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
  } catch {
    message = body.toString("utf8").slice(0, MAX_TEXT);
  }
  return Buffer.from(JSON.stringify({ errorType: headerType || "Runtime.Unknown", errorMessage: message, stackTrace: [] }));
}

/** The fields of a document, whatever its runtime called them (`trace` or `stackTrace`). */
export function errorFields(document: Buffer, fallbackType = "Runtime.Unknown"): ErrorFields {
  const o = parseObject(document) ?? {};
  const trace = Array.isArray(o.stackTrace) ? o.stackTrace : Array.isArray(o.trace) ? o.trace : [];
  return {
    errorType: typeof o.errorType === "string" && o.errorType !== "" ? o.errorType : fallbackType,
    errorMessage: typeof o.errorMessage === "string" ? o.errorMessage : document.toString("utf8").slice(0, MAX_TEXT),
    stackTrace: trace.map(String),
  };
}

/** HotSwap's own shape of a document: `{errorType, errorMessage, stackTrace}`. */
export function hotswapErrorBody(document: Buffer): Buffer {
  return Buffer.from(JSON.stringify(errorFields(document)));
}

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined;
  try {
    const v: unknown = JSON.parse(body.toString("utf8"));
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
