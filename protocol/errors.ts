/**
 * Stable error codes and the one error type for API errors.
 * The code is part of the public contract: clients switch on it, so never rename one.
 */
export const ERROR_STATUS = {
  ValidationError: 400,
  InvalidRequestContent: 400,
  UnknownRuntime: 400,
  InvalidZip: 400,
  UnsafeZipEntry: 400,
  CodeTooLarge: 400,
  InvalidHandler: 400,
  InvalidRoutingConfig: 400,
  InvalidQualifier: 400,
  /** A function names more layers than MAX_LAYERS_PER_FUNCTION (5). */
  TooManyLayers: 400,
  /** A function's layers, unzipped, plus its code exceed 250 MB. */
  LayersTooLarge: 400,
  /** A layer version's compatibleRuntimes does not list the function's runtime. */
  IncompatibleLayerRuntime: 400,
  /** An Http trigger's auth mode this server cannot serve (jwt without JWT settings). */
  UnsupportedAuth: 400,
  /** A Queue or Stream trigger whose broker (Redis, RabbitMQ, NATS) this control plane has no connection setting for. */
  EventSourceNotConfigured: 400,
  Unauthorized: 401,
  /** A JWT whose `exp` (plus the allowed clock skew) has passed. */
  TokenExpired: 401,
  /** A JWT whose signature does not verify (wrong key, tampered token, no matching JWKS key). */
  InvalidTokenSignature: 401,
  /** A JWT whose claims do not check out: issuer, audience, not-before, subject, roles or functions. */
  InvalidTokenClaim: 401,
  /** A Bearer token shaped like a JWT that cannot be decoded, or uses an algorithm not accepted. */
  MalformedToken: 401,
  /** A JWT was sent, but the server has no JWT settings (HOTSWAP_JWT_SECRET or HOTSWAP_JWT_JWKS_URL). */
  JwtNotConfigured: 401,
  InvalidSignature: 403,
  Forbidden: 403,
  FunctionNotFound: 404,
  VersionNotFound: 404,
  AliasNotFound: 404,
  RouteNotFound: 404,
  DeploymentNotFound: 404,
  TriggerNotFound: 404,
  /** No layer has this name (or all its versions were deleted). */
  LayerNotFound: 404,
  /** The layer has no such version (never published, or deleted). */
  LayerVersionNotFound: 404,
  /** No API key has this id. */
  KeyNotFound: 404,
  /** An Http trigger route exists for the path, but not for the request's method. */
  MethodNotAllowed: 405,
  /** No asynchronous or trigger-driven invocation has this request id. */
  InvocationNotFound: 404,
  /** The function has no event-invoke config (the defaults apply). */
  EventInvokeConfigNotFound: 404,
  FunctionAlreadyExists: 409,
  Conflict: 409,
  /** Another deployment is active on the alias, or the deployment's status does not allow the request. */
  DeploymentConflict: 409,
  /** The alias is owned by an active deployment; change it through the deployment. */
  AliasLocked: 409,
  /** The alias is protected: its traffic changes only through an approved deployment. */
  AliasProtected: 409,
  /** Another Http trigger already claims the method and path. */
  RouteConflict: 409,
  PayloadTooLarge: 413,
  /** The request line and headers together are larger than the server reads (16 KiB). */
  RequestHeaderFieldsTooLarge: 431,
  UnsupportedMediaType: 415,
  TooManyRequests: 429,
  FunctionError: 500,
  InternalError: 500,
  InitError: 502,
  OutOfMemory: 502,
  InstanceCrashed: 502,
  /** The runner was lost after the invocation was delivered; it may have run, so it was not retried. */
  RunnerLost: 502,
  RuntimeUnavailable: 503,
  ServiceUnavailable: 503,
  /** The JWKS endpoint (HOTSWAP_JWT_JWKS_URL) could not be reached or answered no valid key set. */
  JwksUnavailable: 503,
  TimeoutError: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Error returned by the API as `{ "error": { "code", "message" } }`. The message says what to do. */
export class ApiError extends Error {
  readonly status: number;
  /** Response headers the answer carries besides the body (`Retry-After` on a rate limit's 429). */
  headers?: Record<string, string>;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    status?: number,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status ?? ERROR_STATUS[code];
  }

  toJSON(): { error: { code: ErrorCode; message: string } & Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...(this.details ?? {}) } };
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
