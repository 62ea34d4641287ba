/**
 * GET /api/v1/functions/{name}/logs: a page of the function's log lines as JSON, or with
 * `follow=true` a live tail as Server-Sent Events (`event: log`, `id:` the cursor, so a reconnect
 * with Last-Event-ID resumes; `: heartbeat` comments; a final `event: end` when the server ends it).
 */
import type { ServerResponse } from "node:http";
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, errorResponses, FunctionNameParam as NameParam } from "../openapi.ts";
import { FunctionLogPage, FunctionLogsQuery } from "../../../../protocol/api/logs.ts";
import type { LogService } from "../../logs/log-service.ts";


const logsRoute = createRoute({
  method: "get",
  path: "/api/v1/functions/{name}/logs",
  tags: ["logs"],
  summary: "Read a function's log lines, or follow them live (follow=true: text/event-stream)",
  request: { params: NameParam, query: FunctionLogsQuery },
  responses: {
    200: {
      description: "Lines oldest first with the next page's cursor; with follow=true an event stream of `log` events",
      content: {
        "application/json": { schema: FunctionLogPage },
        "text/event-stream": { schema: z.string() },
      },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

export function logsRoutes(service: LogService) {
  const app = createRouter();
  app.openapi(logsRoute, async (c) => {
    const { name } = c.req.valid("param");
    const query = c.req.valid("query");
    if (query.follow !== "true") return c.json(await service.page(name, query), 200);
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    // Cut only a response still stuck in the socket: one written out in full is over already.
    const disconnect = () => {
      if (outgoing && !outgoing.writableFinished) outgoing.destroy();
    };
    const follower = await service.follow(name, query, c.req.header("last-event-id"), disconnect);
    return new Response(follower.stream, {
      status: 200,
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        // Proxies (nginx) must pass events through as they come.
        "x-accel-buffering": "no",
        "x-request-id": c.get("requestId"),
      },
    }) as never;
  });
  return app;
}
