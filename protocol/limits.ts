/** Platform-wide limits, aligned with AWS Lambda where Lambda has one. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Lambda's (soft) limit on a streamed response: 20 MiB; a buffered invoke keeps the 6 MB one. */
export const MAX_STREAMED_RESPONSE_BYTES = 20 * 1024 * 1024;
export const MAX_ZIPPED_CODE_BYTES = 50 * 1024 * 1024;
export const MAX_UNZIPPED_CODE_BYTES = 250 * 1024 * 1024;
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 10240;
export const MAX_TIMEOUT_SECONDS = 900;
export const MAX_INSTANCE_CONCURRENCY = 1000;
export const FUNCTION_NAME_PATTERN = /^[a-zA-Z0-9-_]{1,64}$/;
export const LAYER_NAME_PATTERN = /^[a-zA-Z0-9-_]{1,64}$/;
export const ALIAS_NAME_PATTERN = /^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/;
