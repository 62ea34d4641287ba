/**
 * Execution backend port: starts runtime instances. Two adapters: `process` (child processes)
 * and `docker` (containers). Both pass backend.contract.ts, so the pool above them never
 * needs to know which one it drives.
 */
import { errorFields } from "../../../protocol/error-document.ts";
import type { FunctionSpec, PlatformErrorCode, ResponseStreamSink } from "../../../protocol/invoke.ts";
import type { RuntimeAvailability } from "../../../protocol/runner.ts";
import type { RuntimeId, RuntimeProtocol } from "../../../protocol/runtimes.ts";
import type { InstanceLogPort } from "../logs/invocation-log.ts";
import type { InitializationType } from "./common/child-env.ts";

export type { InitializationType };

export interface StartOptions {
  runtime: RuntimeId;
  protocol: RuntimeProtocol;
  /** Memory limit in MB; a stem is started with the memory of the specs it may later serve. */
  memorySize: number;
  /**
   * The version to load. Omit it to start a stem instance (no code), which is specialised
   * later by Instance.specialise(). Stems exist only for the fast protocol.
   */
  spec?: FunctionSpec;
  /** Read-only directory holding the extracted code of `spec` (the future LAMBDA_TASK_ROOT). */
  codeDir?: string;
  /**
   * Read-only merged tree of `spec.layers` (runner/src/code-cache): what Lambda shows at /opt.
   * Docker binds it there; the process backend points the instance at it (HOTSWAP_LAYERS_DIR).
   */
  layersDir?: string;
  /** AWS_LAMBDA_INITIALIZATION_TYPE of the instance. @default "on-demand" */
  initializationType?: InitializationType;
}

export interface SpecialiseOptions {
  /** AWS_LAMBDA_INITIALIZATION_TYPE of the instance. @default "on-demand" */
  initializationType?: InitializationType;
}

export interface InstanceInvokeRequest {
  requestId: string;
  /** JSON text of the event. */
  payload: Buffer;
  /**
   * Epoch milliseconds after which the invocation has timed out. The instance passes it to the
   * handler (context.getRemainingTimeInMillis()) but does not enforce it: the caller (the pool)
   * calls kill("timeout") when it passes.
   */
  deadlineMs: number;
  traceparent?: string;
  clientContext?: string;
  /** InvokeRequest.qualifier: what the caller invoked through, for the handler's invokedFunctionArn. */
  qualifier?: string;
  /** InvokeRequest.stream: where a streaming handler's bytes go; absent, the channel buffers them. */
  stream?: ResponseStreamSink;
}

export type InstanceResult =
  /** `streamed`: the handler streamed its response (InvokeOutcome.streamed). */
  | { kind: "success"; payload: Buffer; streamed?: { contentType: string } }
  /** payload: the runtime's error document, as it posted it (protocol/error-document.ts) */
  | { kind: "function-error"; payload: Buffer; streamed?: { contentType: string } }
  /**
   * `undelivered`: the instance never received the invocation (it was already going away), so
   * the handler did not run and the pool may run it on another instance.
   */
  | { kind: "platform-error"; code: PlatformErrorCode; message: string; undelivered?: boolean };

export type ExitReason = "stopped" | "killed" | "timeout" | "oom" | "crash" | "init-error";

export interface ExitInfo {
  reason: ExitReason;
  code: number | null;
  signal: string | null;
  /** Last lines of the instance's stderr, for error messages. */
  stderrTail?: string;
}

export interface Instance {
  readonly id: string;
  readonly runtime: RuntimeId;
  readonly protocol: RuntimeProtocol;
  /** The loaded version, or undefined for a stem that has not been specialised. */
  readonly spec: FunctionSpec | undefined;
  /** Load code into a stem instance. Rejects with InitError (see InitError class) if the handler fails to load. */
  specialise(spec: FunctionSpec, codeDir: string, opts?: SpecialiseOptions): Promise<void>;
  /**
   * Run one invocation. Never rejects: failures come back as `platform-error`
   * (the instance died mid-invocation: OutOfMemory or InstanceCrashed; TimeoutError after kill("timeout")).
   */
  invoke(req: InstanceInvokeRequest): Promise<InstanceResult>;
  /** Kill at once; in-flight invocations resolve with a platform error matching the reason. */
  kill(reason: "timeout" | "killed" | "oom"): void;
  /** Ask the instance to exit (SIGTERM), then kill it after graceMs. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves once when the instance has exited, for whatever reason. */
  readonly exited: Promise<ExitInfo>;
  readonly alive: boolean;
  /** The instance's function log (START/END/REPORT, tails); absent on test doubles. */
  readonly log?: InstanceLogPort;
}

/** Thrown by start()/specialise() when the handler cannot be loaded (syntax error, missing export...). */
export class InitError extends Error {
  /** The error document as the runtime reported it (JSON), answered as is on the Lambda path. */
  readonly document: Buffer;

  constructor(
    message: string,
    readonly errorType: string = "Runtime.InitError",
    readonly stackTrace: string[] = [],
    document?: Buffer,
  ) {
    super(message);
    this.name = "InitError";
    this.document = document ?? Buffer.from(JSON.stringify({ errorType, errorMessage: message, stackTrace }));
  }

  /** The InitError a runtime's init error document describes. */
  static fromDocument(document: Buffer): InitError {
    const f = errorFields(document, "Runtime.InitError");
    return new InitError(f.errorMessage || "the handler failed to load", f.errorType, f.stackTrace, document);
  }
}

/** Thrown by start() when the backend cannot start anything (runtime missing, Docker unreachable). */
export class BackendUnavailableError extends Error {
  constructor(
    message: string,
    readonly code: "RuntimeUnavailable" | "ServiceUnavailable" = "RuntimeUnavailable",
  ) {
    super(message);
    this.name = "BackendUnavailableError";
  }
}

export interface ExecutionBackend {
  readonly kind: "process" | "docker";
  /** Each runtime id with whether this backend can run it, and with what. */
  runtimes(): Promise<RuntimeAvailability[]>;
  /**
   * Start an instance. Resolves when it is ready to take invocations (a stem: when its bootstrap
   * said hello; with a spec: once the handler is loaded). Rejects with InitError or BackendUnavailableError.
   */
  start(opts: StartOptions): Promise<Instance>;
  /** Throws with a message naming the dependency when the backend cannot work (e.g. Docker down). */
  healthCheck(): Promise<void>;
  /** Kill every instance this backend started. */
  close(): Promise<void>;
}
