/**
 * GET /metrics: the control plane's Prometheus series in the text exposition format (in embedded
 * mode the embedded runner's too). Prometheus authenticates like any API client, with an API key
 * as bearer token (`authorization.credentials` in its scrape config); the route needs
 * `metrics:read`, which the viewer role has.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, errorResponses } from "../openapi.ts";

export interface MetricsSource {
  /** One scrape's exposition text and its content type. */
  scrape(): Promise<{ contentType: string; text: string }>;
}

const metrics = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["system"],
  summary: "Prometheus metrics (text exposition format); needs metrics:read",
  responses: {
    200: {
      description: "The hotswap_* series (invocations, durations, cold starts, throttles, GB-seconds, deployments, runner instances) and the Node process metrics",
      content: { "text/plain": { schema: z.string() } },
    },
    ...errorResponses(401, 403),
  },
});

export function metricsRoutes(source: MetricsSource) {
  const app = createRouter();
  app.openapi(metrics, async (c) => {
    const { contentType, text } = await source.scrape();
    return c.text(text, 200, { "content-type": contentType });
  });
  return app;
}
