/** Route definitions (zod-openapi) of /api/v1/deployments. Handlers are in index.ts. */
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses } from "../openapi.ts";
import {
  CommandBody,
  CreateDeploymentBody,
  DEPLOYMENT_COMMANDS,
  DeploymentList,
  DeploymentListQuery,
  DeploymentSummary,
  DeploymentView,
  RejectBody,
  type DeploymentCommandName,
} from "../../../../protocol/api/deployments.ts";

const IdParam = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" }, example: "6f1c2a9e-7a0b-4b7e-9a53-2f0c9b1d8e11" }),
});
const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

export const create = createRoute({
  method: "post",
  path: "/api/v1/deployments",
  tags: ["deployments"],
  summary: "Start a rollout of a version to an alias (Direct, Canary, Linear, BlueGreen, Rolling or ABTesting)",
  request: { body: { required: true, content: { "application/json": { schema: CreateDeploymentBody } } } },
  responses: { 201: json(DeploymentSummary, "Created (Pending); the rollout leader starts it at once"), ...errorResponses(400, 401, 404, 409) },
});

export const list = createRoute({
  method: "get",
  path: "/api/v1/deployments",
  tags: ["deployments"],
  summary: "List deployments, newest first",
  request: {
    query: DeploymentListQuery,
  },
  responses: { 200: json(DeploymentList, "Deployments"), ...errorResponses(400, 401) },
});

export const get = createRoute({
  method: "get",
  path: "/api/v1/deployments/{id}",
  tags: ["deployments"],
  summary: "A deployment: status, phase, progress, weights, per-version metrics of the current and previous windows, and events",
  request: { params: IdParam },
  responses: { 200: json(DeploymentView, "The deployment"), ...errorResponses(401, 404) },
});

export const follow = createRoute({
  method: "get",
  path: "/api/v1/deployments/{id}/events",
  tags: ["deployments"],
  summary: "Follow a deployment live: Server-Sent Events with its whole view at once and on every change, then `end` once it has finished",
  request: { params: IdParam },
  responses: {
    200: { description: "`event: deployment` (data: the view, as GET /api/v1/deployments/{id} answers it) and finally `event: end` (data: {status})", content: { "text/event-stream": { schema: z.string() } } },
    ...errorResponses(401, 403, 404),
  },
});

const COMMANDS: Record<DeploymentCommandName, string> = {
  pause: "Pause: hold the current weights (automatic rollback stays armed)",
  resume: "Resume a paused deployment; step timers exclude the pause",
  promote: "Promote: send all traffic to the new version now and finish (skips remaining steps)",
  rollback: "Roll back: restore the alias exactly as it was before the deployment",
};

export const commandRoutes = DEPLOYMENT_COMMANDS.map((action) => ({
  action,
  route: createRoute({
    method: "post",
    path: `/api/v1/deployments/{id}/${action}`,
    tags: ["deployments"],
    summary: COMMANDS[action],
    request: { params: IdParam, body: { required: false, content: { "application/json": { schema: CommandBody } } } },
    responses: {
      200: json(DeploymentSummary, "Applied by the rollout leader"),
      202: json(DeploymentSummary, "Queued: the rollout leader has not applied it yet"),
      ...errorResponses(400, 401, 404, 409),
    },
  }),
}));

export const approve = createRoute({
  method: "post",
  path: "/api/v1/deployments/{id}/approve",
  tags: ["deployments"],
  summary:
    "Approve a deployment to a protected alias (PendingApproval → Pending; the rollout leader starts it). Needs deployments:approve, and the requester may not approve its own",
  request: { params: IdParam },
  responses: {
    200: json(DeploymentSummary, "Approved: Pending, the rollout leader starts it at once"),
    ...errorResponses(401, 403, 404, 409),
  },
});

export const reject = createRoute({
  method: "post",
  path: "/api/v1/deployments/{id}/reject",
  tags: ["deployments"],
  summary: "Reject a deployment to a protected alias, with a reason: it fails and the alias stays as it is. Needs deployments:approve; not by the requester",
  request: { params: IdParam, body: { required: true, content: { "application/json": { schema: RejectBody } } } },
  responses: {
    200: json(DeploymentSummary, "Rejected: the deployment is Failed"),
    202: json(DeploymentSummary, "Rejected: the rollout leader has not failed it yet"),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});
