/**
 * The invocation records of asynchronous and trigger-driven invocations:
 * GET /api/v1/invocations/{requestId} and GET /api/v1/functions/{name}/invocations (newest first,
 * filtered by status and source, paged by cursor). A key scoped to some functions sees only their
 * records; another function's record answers 404 as if it did not exist.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { InvocationList, InvocationView, ListInvocationsQuery, RequestIdText } from "../../../../protocol/api/invocations.ts";
import { ApiError } from "../../../../protocol/errors.ts";
import { allows, authorize } from "../../auth/permissions.ts";
import { functionNotFound } from "../../functions/function-service.ts";
import type { InvocationRecord, Repositories } from "../../db/repositories/index.ts";
import { isInvocationCursor } from "../../db/repositories/invocations.ts";
import { createRouter, errorResponses, FunctionNameParam as NameParam } from "../openapi.ts";

const RequestIdParam = z.object({ requestId: RequestIdText.openapi({ param: { name: "requestId", in: "path" } }) });

const get = createRoute({
  method: "get",
  path: "/api/v1/invocations/{requestId}",
  tags: ["invocations"],
  summary: "Get the record of an asynchronous or trigger-driven invocation",
  request: { params: RequestIdParam },
  responses: { 200: { description: "The record", content: { "application/json": { schema: InvocationView } } }, ...errorResponses(401, 403, 404) },
});
const list = createRoute({
  method: "get",
  path: "/api/v1/functions/{name}/invocations",
  tags: ["invocations"],
  summary: "List a function's asynchronous and trigger-driven invocations, newest first",
  request: { params: NameParam, query: ListInvocationsQuery },
  responses: { 200: { description: "A page of records", content: { "application/json": { schema: InvocationList } } }, ...errorResponses(400, 401, 403, 404) },
});

/** The API's view of a record. */
export function invocationView(r: InvocationRecord): InvocationView {
  return {
    requestId: r.requestId,
    functionName: r.functionName,
    qualifier: r.qualifier,
    version: r.version,
    source: r.source,
    status: r.status,
    attempts: r.attempts,
    result: r.result,
    error: r.error,
    destination: r.destination,
    duplicates: r.duplicates,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

export function invocationsRoutes(repos: Pick<Repositories, "invocations" | "functions">) {
  const app = createRouter();
  app.openapi(get, async (c) => {
    const { requestId } = c.req.valid("param");
    const record = await repos.invocations.get(requestId);
    if (!record || !allows(c.get("principal")!, "invocations:read", record.functionName)) {
      throw new ApiError("InvocationNotFound", `No asynchronous or trigger-driven invocation has request id "${requestId.slice(0, 80)}". Synchronous invocations are not recorded; list a function's with GET /api/v1/functions/{name}/invocations.`);
    }
    return c.json(invocationView(record), 200);
  });
  app.openapi(list, async (c) => {
    const { name } = c.req.valid("param");
    const q = c.req.valid("query");
    authorize(c.get("principal")!, "invocations:read", name);
    if (q.cursor !== undefined && !isInvocationCursor(q.cursor)) throw new ApiError("ValidationError", 'query field "cursor": is not a cursor this API handed out; pass nextCursor of the previous page unchanged.');
    if (!(await repos.functions.get(name))) throw functionNotFound(name);
    const page = await repos.invocations.list(name, q);
    return c.json({ invocations: page.records.map(invocationView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }, 200);
  });
  return app;
}
