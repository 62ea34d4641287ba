/**
 * Wire types of the invoke path between the control plane and a runner.
 * In embedded mode these cross a function call; in the fleet they cross HTTP.
 */
import { z } from "zod";
import { RuntimeId, RuntimeProtocol } from "./runtimes.ts";

/** One layer version a function version runs with: its code is fetched by sha like function code. */
export const LayerSpec = z.object({
  name: z.string(),
  version: z.number().int().positive(),
  codeSha256: z.string().regex(/^[a-f0-9]{64}$/),
});
export type LayerSpec = z.infer<typeof LayerSpec>;

/** Everything a runner needs to run one immutable function version. */
export const FunctionSpec = z.object({
  functionName: z.string(),
  /** Immutable version number (1, 2, 3...). */
  version: z.number().int().positive(),
  runtime: RuntimeId,
  handler: z.string(),
  memorySize: z.number().int().positive(),
  /** Seconds. */
  timeout: z.number().positive(),
  environment: z.record(z.string(), z.string()),
  codeSha256: z.string().regex(/^[a-f0-9]{64}$/),
  protocol: RuntimeProtocol,
  /**
   * The layer versions this version was published with, in merge order (a later layer's files
   * win): extracted read-only and merged at /opt (docker) or a per-version directory (process).
   */
  layers: z.array(LayerSpec).max(5).optional(),
  /** Invocations one instance runs at once (1 = Lambda semantics). */
  instanceConcurrency: z.number().int().positive(),
  /** Cap on instances of this version on one runner. */
  maxInstances: z.number().int().positive().optional(),
  /** Seconds an idle instance stays warm before it is stopped (scale to zero); the runner's default when unset. */
  idleTimeout: z.number().positive().optional(),
  /** Cap on concurrent invocations of the function across the fleet (429 beyond); enforced by the control plane. */
  reservedConcurrency: z.number().int().nonnegative().optional(),
  /** The function's own invocation rate limit (requests per second with a burst); enforced by the control plane. */
  rateLimit: z.object({ rps: z.number().positive(), burst: z.number().int().positive() }).optional(),
});
export type FunctionSpec = z.infer<typeof FunctionSpec>;

/** The account and region in every ARN HotSwap hands a function (it has neither). */
export const FUNCTION_ARN_PREFIX = "arn:aws:lambda:us-east-1:000000000000:function:";

/** Lambda's invokedFunctionArn: `…:function:NAME`, or `…:function:NAME:QUALIFIER` when invoked through one. */
export function invokedFunctionArn(functionName: string, qualifier?: string): string {
  return qualifier ? `${FUNCTION_ARN_PREFIX}${functionName}:${qualifier}` : FUNCTION_ARN_PREFIX + functionName;
}

/** Key of a function version inside a runner: name@version#sha. */
export function specKey(spec: Pick<FunctionSpec, "functionName" | "version" | "codeSha256">): string {
  return `${spec.functionName}@${spec.version}#${spec.codeSha256.slice(0, 12)}`;
}

export type StartKind = "warm" | "stem" | "fresh";

export interface InvokeRequest {
  spec: FunctionSpec;
  requestId: string;
  /** The event: JSON text, already validated by the control plane. */
  payload: Buffer;
  traceparent?: string;
  /** Client context (base64 JSON) as in Lambda's X-Amz-Client-Context. */
  clientContext?: string;
  /**
   * What the caller invoked through: an alias (the default `live` included), a version number or
   * $LATEST; absent for an unqualified invoke of a function without `live`. It ends the handler's
   * invokedFunctionArn (invokedFunctionArn()).
   */
  qualifier?: string;
  /** Return the last LOG_TAIL_BYTES of this invocation's log in the outcome (Lambda's `LogType: Tail`). */
  logTail?: boolean;
  /**
   * Where a streaming handler's bytes go as it writes them (Lambda response streaming,
   * `awslambda.streamifyResponse`). Absent: the runner buffers them and the outcome's payload holds
   * them all. A handler that does not stream never touches it.
   */
  stream?: ResponseStreamSink;
}

/** Receives a streamed response while the handler runs (protocol/response-stream.ts has the helpers). */
export interface ResponseStreamSink {
  /** Called once, before any write, when the handler's response turns out to be a stream. */
  begin(contentType: string): void;
  /** The handler's bytes, in the order it wrote them. */
  write(chunk: Buffer): void;
}

/** Platform failure codes a runner can report; each maps to an ApiError code. */
export const PlatformErrorCode = z.enum([
  "TimeoutError",
  "OutOfMemory",
  "InitError",
  "InstanceCrashed",
  "TooManyRequests",
  "RuntimeUnavailable",
  "ServiceUnavailable",
  "InternalError",
  /** The runner was lost (crashed, killed, unreachable) after the invocation was delivered to it. */
  "RunnerLost",
]);
export type PlatformErrorCode = z.infer<typeof PlatformErrorCode>;

interface OutcomeBase {
  /** True when this invocation had to start (or specialise) an instance. */
  coldStart: boolean;
  start: StartKind;
  /** Milliseconds spent inside the instance (handler time, plus init on a cold start). */
  durationMs: number;
  /** When the request asked for it: the last LOG_TAIL_BYTES of the invocation's log lines (UTF-8 text). */
  logTail?: string;
  /**
   * Set when the handler streamed its response: the stream's content type. With a sink in the
   * request the bytes went to it and a success's payload is empty; without one the payload holds
   * them all. A function error then ended the stream part-way (what was written stays written).
   */
  streamed?: { contentType: string };
}

export type InvokeOutcome =
  | (OutcomeBase & { kind: "success"; payload: Buffer })
  /** The handler threw or returned an error. payload is the runtime's error document (protocol/error-document.ts). */
  | (OutcomeBase & { kind: "function-error"; payload: Buffer })
  | (Partial<OutcomeBase> & {
      kind: "platform-error";
      code: PlatformErrorCode;
      message: string;
      /**
       * Set when the runner did not run the invocation at all (draining, shutting down, no room for
       * another instance), so another runner may take it without any risk of running it twice.
       */
      refused?: boolean;
      /** InitError only: the runtime's error document (JSON), which the Lambda path answers as is. */
      errorDocument?: Buffer;
    });
