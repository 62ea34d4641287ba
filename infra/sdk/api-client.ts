/**
 * The dynamic providers' client for the control plane's HTTP API: one function per endpoint, each
 * returning `{ ok: true, value } | { ok: false, status, code, message }` so that expected failures
 * (404, 409) are values, not exceptions.
 *
 * It runs inside the dynamic providers, so it must stay serializable by Pulumi's closure
 * serializer: plain functions, globals (`fetch`, `Buffer`), no imports.
 */

/** Where the control plane is and how to authenticate: the `endpoint` and `apiKey` inputs. */
export interface Connection {
  endpoint: string;
  apiKey: string;
}

export type ApiResult<T> = { ok: true; status: number; value: T } | { ok: false; status: number; code: string; message: string };

/** What the API says about a function (`FunctionView`). */
export interface FunctionView {
  name: string;
  runtime: string;
  handler: string;
  memorySize: number;
  timeout: number;
  environment: Record<string, string>;
  description: string;
  tags: Record<string, string>;
  protocol: string;
  instanceConcurrency: number;
  maxInstances: number | null;
  reservedConcurrency: number | null;
  provisionedConcurrency: number;
  latestVersion: number | null;
}

/** Function-level capacity settings: PUT changes them without a new version. */
export interface CapacityBody {
  reservedConcurrency: number | null;
  provisionedConcurrency: number;
}

/** The configuration fields the API accepts on create and update. */
export interface FunctionConfigBody extends CapacityBody {
  runtime: string;
  handler: string;
  memorySize: number;
  timeout: number;
  environment: Record<string, string>;
  description: string;
  tags: Record<string, string>;
  protocol?: string;
  instanceConcurrency: number;
  maxInstances?: number | null;
}

export interface VersionView {
  version: number;
  codeSha256: string;
  codeSize: number;
}

export interface AliasView {
  functionName: string;
  name: string;
  version: number;
  routingConfig: { additionalVersionWeights: Record<string, number> };
  description: string;
}

export interface PutAliasBody {
  version: number;
  routingConfig?: { additionalVersionWeights: Record<string, number> };
  description?: string;
}

/** POST /api/v1/deployments (the rollouts API). */
export interface StartDeploymentBody {
  functionName: string;
  version: number;
  alias: string;
  strategy: string;
  config: Record<string, unknown>;
  analysis: Record<string, unknown>;
  onConflict?: string;
}

export interface DeploymentEvent {
  id?: number;
  at?: string;
  type?: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  weights?: Record<string, number> | null;
  reason?: string | null;
}

/** GET /api/v1/deployments/{id}; fields beyond `status` are read defensively. */
export interface DeploymentView {
  id?: string;
  deploymentId?: string;
  status: string;
  phase?: string;
  progress?: number;
  weights?: Record<string, number>;
  currentWeights?: Record<string, number>;
  reason?: string | null;
  events?: DeploymentEvent[];
}

const REQUEST_TIMEOUT_MS = 120_000;

/** One request to the API. Network failures become `{ ok: false, code: "Unreachable" }`. */
export async function apiRequest<T>(conn: Connection, method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  const url = conn.endpoint.replace(/\/+$/, "") + path;
  const headers: Record<string, string> = { authorization: `Bearer ${conn.apiKey}`, accept: "application/json" };
  let payload: string | Uint8Array | undefined;
  if (body instanceof Uint8Array) {
    headers["content-type"] = "application/zip";
    payload = body;
  } else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: payload as RequestInit["body"], signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const cause = err.cause?.code ?? err.cause?.message ?? err.message;
    return { ok: false, status: 0, code: "Unreachable", message: `cannot reach the HotSwap API at ${conn.endpoint} (${cause}). Check the endpoint and that the control plane is running.` };
  }
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.ok) return { ok: true, status: res.status, value: json as T };
  const error = json?.error;
  return {
    ok: false,
    status: res.status,
    code: typeof error?.code === "string" ? error.code : `HTTP${res.status}`,
    message: typeof error?.message === "string" ? error.message : text.slice(0, 500) || res.statusText,
  };
}

/** An Error for a failed call, naming what was attempted and quoting the API's code and message. */
export function apiError(action: string, r: { status: number; code: string; message: string }): Error {
  const status = r.status > 0 ? `, HTTP ${r.status}` : "";
  return new Error(`${action} failed (${r.code}${status}): ${r.message}`);
}

const enc = encodeURIComponent;

export function getFunction(conn: Connection, name: string) {
  return apiRequest<FunctionView>(conn, "GET", `/api/v1/functions/${enc(name)}`);
}

export function createFunction(conn: Connection, body: FunctionConfigBody & { name: string }) {
  return apiRequest<FunctionView>(conn, "POST", "/api/v1/functions", body);
}

export function updateFunction(conn: Connection, name: string, body: FunctionConfigBody | CapacityBody) {
  return apiRequest<FunctionView>(conn, "PUT", `/api/v1/functions/${enc(name)}`, body);
}

export function deleteFunction(conn: Connection, name: string) {
  return apiRequest<undefined>(conn, "DELETE", `/api/v1/functions/${enc(name)}`);
}

export function publishVersion(conn: Connection, name: string, zip: Uint8Array) {
  return apiRequest<VersionView>(conn, "POST", `/api/v1/functions/${enc(name)}/versions`, zip);
}

export function getVersion(conn: Connection, name: string, version: number) {
  return apiRequest<VersionView>(conn, "GET", `/api/v1/functions/${enc(name)}/versions/${version}`);
}

export function getAlias(conn: Connection, fn: string, alias: string) {
  return apiRequest<AliasView>(conn, "GET", `/api/v1/functions/${enc(fn)}/aliases/${enc(alias)}`);
}

export function putAlias(conn: Connection, fn: string, alias: string, body: PutAliasBody) {
  return apiRequest<AliasView>(conn, "PUT", `/api/v1/functions/${enc(fn)}/aliases/${enc(alias)}`, body);
}

export function deleteAlias(conn: Connection, fn: string, alias: string) {
  return apiRequest<undefined>(conn, "DELETE", `/api/v1/functions/${enc(fn)}/aliases/${enc(alias)}`);
}

export function startDeployment(conn: Connection, body: StartDeploymentBody) {
  return apiRequest<{ deploymentId: string; status: string }>(conn, "POST", "/api/v1/deployments", body);
}

export function getDeployment(conn: Connection, id: string) {
  return apiRequest<DeploymentView>(conn, "GET", `/api/v1/deployments/${enc(id)}`);
}
