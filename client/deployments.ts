/** /api/v1/deployments: start a rollout, list and read deployments, pause/resume/promote/rollback them, and approve or reject them. */
import { DEPLOYMENT_END_EVENT, DEPLOYMENT_EVENT, type CreateDeploymentInput, type DeploymentCommandName, type DeploymentListQuery, type DeploymentView } from "../protocol/api/deployments.ts";
import { readEventStream } from "./sse.ts";
import type { CallOptions, ClientOptions, Transport } from "./transport.ts";

/** What following a deployment yields: its whole view (at once and on every change), then `end` once it finished. */
export type DeploymentStreamEvent = { type: "deployment"; view: DeploymentView } | { type: "end"; status: string };

export function deploymentsEndpoints(t: Transport, options: Pick<ClientOptions, "apiKey" | "token" | "fetch" | "headers"> = {}) {
  const path = (id: string) => `/api/v1/deployments/${encodeURIComponent(id)}`;
  /**
   * POST /api/v1/deployments/{id}/{command}: status 200 when the rollout leader applied it, 202 when
   * it is queued. DeploymentConflict (409) when the deployment's status does not allow it.
   */
  const command = (id: string, action: DeploymentCommandName, opts: CallOptions & { reason?: string } = {}) =>
    t.request({ method: "POST", path: `${path(id)}/${action}`, body: { json: opts.reason === undefined ? {} : { reason: opts.reason } } }, "DeploymentSummary", opts);
  return {
    /** POST /api/v1/deployments: 201 with the deployment, Pending. DeploymentConflict (409) when another one runs on the alias. */
    create: (body: CreateDeploymentInput, opts?: CallOptions) => t.request({ method: "POST", path: "/api/v1/deployments", body: { json: body } }, "DeploymentSummary", opts),
    /** GET /api/v1/deployments, newest first, filtered by function, alias or status. */
    list: (query: DeploymentListQuery = {}, opts?: CallOptions) =>
      t.request({ method: "GET", path: "/api/v1/deployments", query: { functionName: query.functionName, alias: query.alias, status: query.status } }, "DeploymentList", opts),
    /** GET /api/v1/deployments/{id}: status, phase, weights, per-version metrics and events. DeploymentNotFound (404). */
    get: (id: string, opts?: CallOptions) => t.request({ method: "GET", path: path(id) }, "Deployment", opts),
    /**
     * GET /api/v1/deployments/{id}/events: the deployment live, as an async iterator (Server-Sent
     * Events): its view at once and on every change, then `end` once it has finished. Throws
     * EventStreamRefused with the API's failure (DeploymentNotFound 404, Forbidden 403).
     */
    async *follow(id: string, opts: { signal?: AbortSignal; headers?: Record<string, string> } = {}): AsyncGenerator<DeploymentStreamEvent, void, undefined> {
      const headers: Record<string, string> = { ...options.headers, ...opts.headers };
      const bearer = options.apiKey ?? options.token;
      if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
      const events = readEventStream({
        url: `${t.baseUrl}${path(id)}/events`,
        headers,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        what: `following deployment ${id}`,
      });
      for await (const e of events) {
        if (e.type === DEPLOYMENT_EVENT) yield { type: "deployment", view: JSON.parse(e.data) as DeploymentView };
        else if (e.type === DEPLOYMENT_END_EVENT) yield { type: "end", status: (JSON.parse(e.data) as { status: string }).status };
      }
    },
    command,
    /** Hold the current weights (automatic rollback stays armed). */
    pause: (id: string, opts?: CallOptions & { reason?: string }) => command(id, "pause", opts),
    /** Resume a paused deployment. */
    resume: (id: string, opts?: CallOptions & { reason?: string }) => command(id, "resume", opts),
    /** Send all traffic to the new version now and finish. */
    promote: (id: string, opts?: CallOptions & { reason?: string }) => command(id, "promote", opts),
    /** Restore the alias exactly as it was before the deployment. */
    rollback: (id: string, opts?: CallOptions & { reason?: string }) => command(id, "rollback", opts),
    /**
     * POST /api/v1/deployments/{id}/approve: 200 with the deployment, now Pending (the rollout leader
     * starts it). Forbidden (403) for the requester itself or without deployments:approve;
     * DeploymentConflict (409, with `status`) when it does not wait for approval or the request expired.
     */
    approve: (id: string, opts?: CallOptions) => t.request({ method: "POST", path: `${path(id)}/approve` }, "DeploymentSummary", opts),
    /** POST /api/v1/deployments/{id}/reject {reason}: 200 when it is Failed, 202 while the leader has not failed it yet; errors as approve. */
    reject: (id: string, reason: string, opts?: CallOptions) =>
      t.request({ method: "POST", path: `${path(id)}/reject`, body: { json: { reason } } }, "DeploymentSummary", opts),
  };
}
