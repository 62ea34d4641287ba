/** GET /health (no auth), GET /api/v1/runtimes and GET /api/v1/runners. */
import { createRoute } from "@hono/zod-openapi";
import { HealthView, RuntimeList } from "../../../../protocol/api/system.ts";
import { createRouter, errorResponses } from "../openapi.ts";
import type { RunnerHandle } from "../../../../protocol/runner.ts";
import type { RunnersSource } from "../../fleet/runner-views.ts";
import { runnersRoutes } from "../runners/index.ts";

export interface HealthDeps {
  database: { ping(): Promise<void> };
  state: { ping(): Promise<void> };
  codeStore: { ping(): Promise<void> };
  runner: Pick<RunnerHandle, "healthCheck">;
  /** The runners GET /api/v1/runners lists (the embedded runner, or the fleet). Not mounted when unset. */
  runnerList?: RunnersSource;
  /** Per-check time limit. */
  timeoutMs?: number;
}

const CHECKS = ["database", "state", "codeStore", "runners"] as const;
type CheckName = (typeof CHECKS)[number];

const health = createRoute({
  method: "get",
  path: "/health",
  tags: ["system"],
  summary: "Liveness and dependency health (no auth)",
  responses: {
    200: { description: "Healthy", content: { "application/json": { schema: HealthView } } },
    503: { description: "A dependency is down", content: { "application/json": { schema: HealthView } } },
  },
});

const runtimes = createRoute({
  method: "get",
  path: "/api/v1/runtimes",
  tags: ["system"],
  summary: "Runtime ids and their availability on the configured backend",
  responses: {
    200: {
      description: "Runtimes",
      content: { "application/json": { schema: RuntimeList } },
    },
    ...errorResponses(401),
  },
});

function withTimeout(p: Promise<void>, ms: number, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function checkHealth(deps: HealthDeps) {
  const ms = deps.timeoutMs ?? 3000;
  const probes: Record<CheckName, () => Promise<void>> = {
    database: () => deps.database.ping(),
    state: () => deps.state.ping(),
    codeStore: () => deps.codeStore.ping(),
    runners: () => deps.runner.healthCheck(),
  };
  const results = await Promise.all(
    CHECKS.map(async (name) => {
      try {
        await withTimeout(probes[name](), ms, name);
        return [name, "ok"] as const;
      } catch (e) {
        return [name, `down: ${(e as Error).message}`] as const;
      }
    }),
  );
  const checks = Object.fromEntries(results) as Record<CheckName, string>;
  const down = results.filter(([, v]) => v !== "ok");
  if (down.length === 0) return { status: "ok" as const, checks };
  return {
    status: "unavailable" as const,
    checks,
    error: {
      code: "ServiceUnavailable",
      message: down.map(([name, v]) => `${name} is ${v}`).join("; "),
    },
  };
}

export function systemRoutes(deps: HealthDeps & { runtimes: RunnerHandle["runtimes"]; backend: string }) {
  const app = createRouter();
  app.openapi(health, async (c) => {
    const result = await checkHealth(deps);
    return c.json(result, result.status === "ok" ? 200 : 503);
  });
  app.openapi(runtimes, async (c) => c.json({ backend: deps.backend, runtimes: await deps.runtimes() }, 200));
  if (deps.runnerList) app.route("/", runnersRoutes(deps.runnerList));
  return app;
}
