/** HTTP header names used on the invoke path, shared by the control plane, the runner and clients. */
export const HEADER_REQUEST_ID = "x-request-id";
export const HEADER_VERSION = "x-hotswap-version";
export const HEADER_COLD_START = "x-hotswap-cold-start";
/** How the instance that served the request was obtained: `warm`, `stem` or `fresh`. */
export const HEADER_START = "x-hotswap-start";
export const HEADER_FUNCTION_ERROR = "x-hotswap-function-error";
export const HEADER_TRACEPARENT = "traceparent";
export const HEADER_TRACESTATE = "tracestate";
/** X-Ray's trace header, answered on the Lambda path (`Root=1-…;Parent=…;Sampled=…`). */
export const HEADER_AMZN_TRACE_ID = "x-amzn-trace-id";
/** `Tail` asks for the last 4 KB of the invocation's log in HEADER_LOG_RESULT (as Lambda's X-Amz-Log-Type); `None` or absent does not. */
export const HEADER_LOG_TYPE = "x-hotswap-log-type";
/** Base64 of the last 4 KB of the invocation's log lines, when HEADER_LOG_TYPE was `Tail`. */
export const HEADER_LOG_RESULT = "x-hotswap-log-result";

export const HEADER_AMZ_FUNCTION_ERROR = "x-amz-function-error";
export const HEADER_AMZ_EXECUTED_VERSION = "x-amz-executed-version";
export const HEADER_AMZ_REQUEST_ID = "x-amzn-requestid";
export const HEADER_AMZ_INVOCATION_TYPE = "x-amz-invocation-type";
export const HEADER_AMZ_LOG_TYPE = "x-amz-log-type";
/** Lambda's LogResult: base64 of the last 4 KB of the invocation's log, when X-Amz-Log-Type was `Tail`. */
export const HEADER_AMZ_LOG_RESULT = "x-amz-log-result";
