/**
 * Wire protocol of the runner fleet, shared by the control plane and `hotswap runner`:
 * the runner's HTTP endpoints and headers, the heartbeat a runner publishes every second,
 * the provisioning command the leader sends, and the state-store keys and channels they use.
 *
 * Invoke on the wire: `POST /v1/invoke` with the event bytes as the body and the FunctionSpec in
 * one header (base64url JSON, encoded once per spec object by the control plane and decoded once
 * per distinct header by the runner). The reply carries the outcome in headers and the handler's
 * payload (or the platform error message) as the body, so neither side parses a JSON envelope.
 * Both halves of the reply live here: outcomeHeaders() writes it, decodeReply() reads it.
 */
import { errorFields } from "./error-document.ts";
import { z } from "zod";
import { HEADER_COLD_START, HEADER_LOG_RESULT, HEADER_START } from "./headers.ts";
import { FunctionSpec, type InvokeOutcome, type PlatformErrorCode, PlatformErrorCode as PlatformErrorCodeSchema, type StartKind } from "./invoke.ts";

// ---- HTTP ------------------------------------------------------------------------------------

export const RUNNER_PATH_INVOKE = "/v1/invoke";
export const RUNNER_PATH_PROVISION = "/v1/provision";
export const RUNNER_PATH_PREFETCH = "/v1/prefetch";
export const RUNNER_PATH_STATUS = "/v1/status";
export const RUNNER_PATH_RUNTIMES = "/v1/runtimes";
export const RUNNER_PATH_HEALTH = "/health";
/** Prometheus metrics of a runner; the cluster secret as `Authorization: Bearer <secret>` (or HEADER_CLUSTER_SECRET). */
export const RUNNER_PATH_METRICS = "/metrics";

/** The shared secret (HOTSWAP_CLUSTER_SECRET) the control plane presents; runners refuse requests without it. */
export const HEADER_CLUSTER_SECRET = "x-hotswap-cluster-secret";
/** The FunctionSpec of the invocation, as encodeSpec() makes it. */
export const HEADER_SPEC = "x-hotswap-spec";
/** Lambda client context (base64 JSON), forwarded as given. */
export const HEADER_CLIENT_CONTEXT = "x-hotswap-client-context";
/** InvokeRequest.qualifier: the alias, version or $LATEST the caller invoked through. */
export const HEADER_QUALIFIER = "x-hotswap-qualifier";
/** `success`, `function-error` or `platform-error`. */
export const HEADER_OUTCOME = "x-hotswap-outcome";
/** The PlatformErrorCode of a platform-error outcome; the body is its message (or its error document, see below). */
export const HEADER_ERROR_CODE = "x-hotswap-error-code";
/** Present ("1") on a platform-error whose body is its error document (an InitError) rather than its message. */
export const HEADER_ERROR_DOCUMENT = "x-hotswap-error-document";
/** Milliseconds spent inside the instance. */
export const HEADER_DURATION = "x-hotswap-duration-ms";
/** Present ("1") when the runner did not run the invocation: the control plane may send it elsewhere. */
export const HEADER_REFUSED = "x-hotswap-refused";
/** Invocation slots of this version free on the runner right after this invocation: fresh placement data. */
export const HEADER_RUNNER_FREE = "x-hotswap-runner-free";
/** Invocations in flight on the whole runner right after this one. */
export const HEADER_RUNNER_INFLIGHT = "x-hotswap-runner-inflight";
/** Id of the runner that answered. */
export const HEADER_RUNNER_ID = "x-hotswap-runner";
/** Request header ("1"): return the invocation's log tail (InvokeRequest.logTail, Lambda's `LogType: Tail`). */
export const HEADER_LOG_TAIL = "x-hotswap-log-tail";
/** Reply header: the handler streamed its response, in this content type (InvokeOutcome.streamed). */
export const HEADER_STREAMED = "x-hotswap-streamed";
/** Reply header HEADER_LOG_RESULT (the same name the invoke path answers): the outcome's logTail, base64 of its UTF-8 text. */
export { HEADER_LOG_RESULT };

/** Base64url JSON of a spec: header-safe for any environment values. */
export function encodeSpec(spec: FunctionSpec): string {
  return Buffer.from(JSON.stringify(spec), "utf8").toString("base64url");
}

/** Throws (with zod's message) when the header is not a valid spec. */
export function decodeSpec(header: string): FunctionSpec {
  return FunctionSpec.parse(JSON.parse(Buffer.from(header, "base64url").toString("utf8")));
}

/** The body of a runner's reply: the payload, a platform error's document when it has one, else its message. */
export function outcomeBody(outcome: InvokeOutcome): Buffer {
  if (outcome.kind !== "platform-error") return outcome.payload;
  return outcome.errorDocument ?? Buffer.from(outcome.message, "utf8");
}

/** Outcome headers of a runner's reply, as strings (the runner sets them; the control plane reads them). */
export function outcomeHeaders(outcome: InvokeOutcome): Record<string, string> {
  const h: Record<string, string> = { [HEADER_OUTCOME]: outcome.kind };
  if (outcome.coldStart !== undefined) h[HEADER_COLD_START] = String(outcome.coldStart);
  if (outcome.start !== undefined) h[HEADER_START] = outcome.start;
  if (outcome.durationMs !== undefined) h[HEADER_DURATION] = outcome.durationMs.toFixed(3);
  if (outcome.kind === "platform-error") {
    h[HEADER_ERROR_CODE] = outcome.code;
    if (outcome.refused) h[HEADER_REFUSED] = "1";
    if (outcome.errorDocument) h[HEADER_ERROR_DOCUMENT] = "1";
  }
  if (outcome.logTail !== undefined) h[HEADER_LOG_RESULT] = Buffer.from(outcome.logTail, "utf8").toString("base64");
  if (outcome.streamed !== undefined) h[HEADER_STREAMED] = encodeURIComponent(outcome.streamed.contentType);
  return h;
}

const PLATFORM_ERROR_CODES: ReadonlySet<string> = new Set(PlatformErrorCodeSchema.options);

export function isPlatformErrorCode(code: string | undefined): code is PlatformErrorCode {
  return code !== undefined && PLATFORM_ERROR_CODES.has(code);
}

/** A runner's reply to `POST /v1/invoke`, as the control plane reads it. */
export interface RunnerReply {
  outcome: InvokeOutcome;
  /** HEADER_RUNNER_FREE: the version's free invocation slots on the runner right after this one. */
  free: number | undefined;
  /** HEADER_RUNNER_INFLIGHT: invocations in flight on the whole runner right after this one. */
  inflight: number | undefined;
}

/**
 * Decode a runner's reply: the inverse of outcomeHeaders() plus the body the runner sends (the
 * payload, or a platform error's message). `raw` is the header list as undici hands it over
 * (name, value, name, value…), read once per invocation without building a header object. A
 * reply that is not a 200 with an outcome is the runner refusing the request itself (bad secret,
 * bad spec): it did not run it, and 401 means another runner may take it.
 */
export function decodeReply(status: number, raw: Buffer[], body: Buffer): RunnerReply {
  let outcomeKind: string | undefined;
  let code: string | undefined;
  let cold: string | undefined;
  let start: string | undefined;
  let duration: string | undefined;
  let refused = false;
  let free: number | undefined;
  let inflight: number | undefined;
  let logTail: string | undefined;
  let hasDocument = false;
  let streamed: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toString("latin1").toLowerCase();
    if (!name.startsWith("x-hotswap-")) continue;
    const value = raw[i + 1].toString("latin1");
    switch (name) {
      case HEADER_OUTCOME:
        outcomeKind = value;
        break;
      case HEADER_ERROR_CODE:
        code = value;
        break;
      case HEADER_COLD_START:
        cold = value;
        break;
      case HEADER_START:
        start = value;
        break;
      case HEADER_DURATION:
        duration = value;
        break;
      case HEADER_REFUSED:
        refused = true;
        break;
      case HEADER_ERROR_DOCUMENT:
        hasDocument = true;
        break;
      case HEADER_RUNNER_FREE:
        free = Number(value);
        break;
      case HEADER_RUNNER_INFLIGHT:
        inflight = Number(value);
        break;
      case HEADER_LOG_RESULT:
        logTail = Buffer.from(value, "base64").toString("utf8");
        break;
      case HEADER_STREAMED:
        streamed = decodeURIComponent(value);
        break;
    }
  }
  if (status !== 200 || outcomeKind === undefined) {
    const message = `runner answered HTTP ${status}: ${body.toString("utf8").slice(0, 500)}`;
    return {
      outcome: { kind: "platform-error", code: status === 401 ? "ServiceUnavailable" : "InternalError", message, refused: status === 401 },
      free,
      inflight,
    };
  }
  const outcome = outcomeOf(
    {
      kind: outcomeKind,
      code,
      coldStart: cold === undefined ? undefined : cold === "true",
      start: start as StartKind | undefined,
      durationMs: duration === undefined ? undefined : Number(duration),
      refused,
      hasDocument,
      logTail,
      streamed,
    },
    body,
  );
  return { outcome, free, inflight };
}

/** A runner's outcome as either transport carries it (HTTP reply headers, a fleet-channel reply frame), decoded. */
export interface OutcomeFields {
  kind: string;
  code: string | undefined;
  coldStart: boolean | undefined;
  start: StartKind | undefined;
  durationMs: number | undefined;
  refused: boolean;
  /** The body is the platform error's document rather than its message. */
  hasDocument: boolean;
  logTail: string | undefined;
  /** The handler streamed its response, in this content type (collected whole for a buffered caller). */
  streamed?: string;
}

/** The outcome a runner's reply describes, its body being outcomeBody() of it. */
export function outcomeOf(f: OutcomeFields, body: Buffer): InvokeOutcome {
  if (f.kind === "success" || f.kind === "function-error") {
    const outcome: InvokeOutcome = { kind: f.kind, payload: body, coldStart: f.coldStart ?? false, start: f.start ?? "warm", durationMs: f.durationMs ?? 0 };
    if (f.logTail !== undefined) outcome.logTail = f.logTail;
    if (f.streamed !== undefined) outcome.streamed = { contentType: f.streamed };
    return outcome;
  }
  return {
    kind: "platform-error",
    code: isPlatformErrorCode(f.code) ? f.code : "InternalError",
    message: f.hasDocument ? errorFields(body).errorMessage : body.toString("utf8"),
    ...(f.hasDocument ? { errorDocument: body } : {}),
    ...(f.coldStart !== undefined ? { coldStart: f.coldStart } : {}),
    ...(f.start !== undefined ? { start: f.start } : {}),
    ...(f.durationMs !== undefined ? { durationMs: f.durationMs } : {}),
    ...(f.refused ? { refused: f.refused } : {}),
    ...(f.logTail !== undefined ? { logTail: f.logTail } : {}),
  };
}

// ---- provisioning ----------------------------------------------------------------------------

/**
 * Keep `count` instances of `spec` initialised on the runner: start them now, and keep them
 * through idle sweeps for `holdMs` (the leader refreshes the hold while it wants them). `touch` marks existing instances busy now (a keep-warm ping), so they start a
 * new idle period. `leaderToken` is the leader lease's fencing token: a runner ignores commands
 * carrying a token lower than the highest it has seen, so a deposed leader changes nothing.
 */
export const ProvisionRequest = z.object({
  spec: FunctionSpec,
  count: z.number().int().min(0).max(1000),
  /** Keep them through idle sweeps this long; 0 drops the hold; unset leaves any hold as it is (a one-off prewarm). */
  holdMs: z.number().int().min(0).max(24 * 3600 * 1000).optional(),
  touch: z.boolean().default(false),
  leaderToken: z.number().int().nonnegative().optional(),
});
export type ProvisionRequest = z.infer<typeof ProvisionRequest>;

export const ProvisionResult = z.object({
  /** Live instances of the version on this runner after the command. */
  live: z.number().int().nonnegative(),
  /** False when the command was ignored because its leader token is stale. */
  applied: z.boolean(),
});
export type ProvisionResult = z.infer<typeof ProvisionResult>;

// ---- prefetch ----------------------------------------------------------------------------------

/**
 * Make a version's code ready on the runner before its first invocation: download, extract and
 * verify its package (and merge its layers), so a cold start only specialises an instance and
 * loads the module. Sent when a version is published; answered once the code is ready.
 */
export const PrefetchRequest = z.object({ spec: FunctionSpec });
export type PrefetchRequest = z.infer<typeof PrefetchRequest>;

// ---- heartbeats --------------------------------------------------------------------------------

/** One function version on a runner, as a heartbeat reports it. */
export const RunnerVersionLoad = z.object({
  /** specKey: name@version#sha12. */
  key: z.string(),
  functionName: z.string(),
  version: z.number().int(),
  instances: z.number().int().nonnegative(),
  starting: z.number().int().nonnegative(),
  /** Instances that can take an invocation now. */
  warm: z.number().int().nonnegative(),
  /** Invocation slots free now (instances × instanceConcurrency − in flight). */
  free: z.number().int(),
  inflight: z.number().int().nonnegative(),
  /** Instances held by a provisioning command (provisioned concurrency, scheduled minimum). */
  held: z.number().int().nonnegative(),
});
export type RunnerVersionLoad = z.infer<typeof RunnerVersionLoad>;

export const RunnerState = z.enum(["ready", "draining", "stopped"]);
export type RunnerState = z.infer<typeof RunnerState>;

export const RunnerHeartbeat = z.object({
  id: z.string(),
  /** Changes on every start of the runner process, so a restart under the same id is recognised. */
  bootId: z.string(),
  pool: z.string(),
  labels: z.record(z.string(), z.string()),
  /** Base URL the control plane reaches the runner at. */
  address: z.string(),
  backend: z.enum(["process", "docker"]),
  state: RunnerState,
  capacity: z.object({ memoryMb: z.number().int().positive(), maxInstances: z.number().int().positive() }),
  load: z.object({
    inflight: z.number().int().nonnegative(),
    instances: z.number().int().nonnegative(),
    /** Memory of the live and starting instances (their functions' memorySize), MB. */
    memoryMb: z.number().nonnegative(),
  }),
  versions: z.array(RunnerVersionLoad),
  /** Idle stem instances ready per runtime id. */
  stems: z.record(z.string(), z.number().int().nonnegative()),
  startedAt: z.number(),
  /** Epoch ms on the runner when this heartbeat was made. */
  at: z.number(),
  /** Increments with every heartbeat of this boot. */
  seq: z.number().int().nonnegative(),
  /** Milliseconds between heartbeats; a runner silent for 3 of them is dead. */
  intervalMs: z.number().int().positive(),
  /** The control-plane URL the runner was configured with (HOTSWAP_CONTROL_PLANE_URL), if any. */
  controlPlaneUrl: z.string().optional(),
  version: z.string().optional(),
  /** The runner takes the fleet channel (protocol/fleet-channel.ts) at its address; absent: HTTP requests only. */
  channel: z.boolean().optional(),
});
export type RunnerHeartbeat = z.infer<typeof RunnerHeartbeat>;

/** Heartbeats missed before a runner is dead. */
export const MISSED_HEARTBEATS_DEAD = 3;

// ---- state-store names (the state store adds its key prefix) --------------------------------------

/** Pub/sub channel of heartbeats (and of final "stopped" notices). */
export const HEARTBEAT_CHANNEL = "hotswap:fleet:heartbeats";
/** Hash holding a runner's latest heartbeat (field `hb`), expiring after 3 missed heartbeats. */
export function runnerKey(id: string): string {
  return `hotswap:fleet:runner:${id}`;
}
/**
 * The capacity lease's name before leases were namespaced per cluster (now `hs:<cluster>:capacity:leader`).
 * Read only so new capacity tokens continue above it during an upgrade (shared/lease/legacy-fleet-fence.ts).
 */
export const FLEET_LEADER_LEASE = "hotswap:fleet:leader";
/** Channel on which control-plane replicas share their in-flight counts of functions with reserved concurrency. */
export const INFLIGHT_CHANNEL = "hotswap:fleet:inflight";
