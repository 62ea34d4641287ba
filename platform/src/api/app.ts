/**
 * The control plane's HTTP application: request ids, authentication, the permission every route
 * declares, every resource's routes, the OpenAPI document at /openapi.json and Swagger UI at
 * /docs, and the one error handler that turns every failure into `{ "error": { "code", "message" } }`
 * (Lambda's format under the Lambda prefix), and the web console's bundle at / (no credentials). Request ids and error bodies come from the envelope
 * module the front door uses too. Invocations themselves are answered by the front door
 * (api/front-door); the invoke route is only described here.
 */
import { swaggerUI } from "@hono/swagger-ui";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../protocol/limits.ts";
import { payloadTooLarge } from "../invocation/event.ts";
import { createRouter } from "./openapi.ts";
import { ApiError } from "../../../protocol/errors.ts";
import { HEADER_REQUEST_ID } from "../../../protocol/headers.ts";
import type { AppEnv } from "./context.ts";
import { functionsRoutes } from "./functions/index.ts";
import { versionsRoutes } from "./versions/index.ts";
import { aliasesRoutes } from "./aliases/index.ts";
import { deploymentsRoutes } from "./deployments/index.ts";
import { usageRoutes } from "./usage/index.ts";
import { describeInvoke } from "./invoke/index.ts";
import { triggersRoutes } from "./triggers/index.ts";
import type { TriggerService } from "../triggers/trigger-service.ts";
import { logsRoutes } from "./logs/index.ts";
import type { LogService } from "../logs/log-service.ts";
import { LAMBDA_PATH_PREFIX } from "../auth/credentials.ts";
import { authorizeRoutes } from "../auth/middleware.ts";
import { apiErrorOf, errorBody, lambdaError, requestIdFrom } from "./envelope.ts";
import { systemRoutes, type HealthDeps } from "./system/index.ts";
import { metricsRoutes, type MetricsSource } from "./metrics/index.ts";
import { invocationsRoutes } from "./invocations/index.ts";
import { eventInvokeConfigRoutes } from "./event-invoke-config/index.ts";
import { auditRoutes } from "./audit/index.ts";
import { secretsAdminRoutes, type SecretsAdminDeps } from "./secrets/index.ts";
import type { Repositories } from "../db/repositories/index.ts";
import type { FunctionService } from "../functions/function-service.ts";
import type { VersionService } from "../functions/version-service.ts";
import type { AliasService } from "../functions/alias-service.ts";
import type { DeploymentService } from "../deployments/deployment-service.ts";
import type { UsageService } from "../usage/usage-service.ts";
import type { RunnerHandle } from "../../../protocol/runner.ts";
import { keysRoutes } from "./keys/index.ts";
import { whoamiRoutes } from "./whoami/index.ts";
import { consoleRoutes, type ConsoleAssetsOptions } from "../console/console-assets.ts";
import { layersRoutes } from "./layers/index.ts";
import type { LayerService } from "../layers/layer-service.ts";
import type { KeyService } from "../keys/key-service.ts";

export interface AppDeps {
  functions: FunctionService;
  versions: VersionService;
  aliases: AliasService;
  deployments: DeploymentService;
  usage: UsageService;
  triggers: TriggerService;
  /** Function log lines and live tails. */
  logs: LogService;
  runner: RunnerHandle;
  health: HealthDeps;
  backend: string;
  /** Authentication middleware; it lets /health, /openapi.json and /docs through. */
  auth: MiddlewareHandler<AppEnv>;
  /** The per-key rate limit (limits/limits-middleware.ts), after authentication; omitted: none. */
  rateLimit?: MiddlewareHandler<AppEnv>;
  log: { error(obj: object, msg: string): void };
  version: string;
  /** GET /metrics (Prometheus); not mounted when unset. */
  metrics?: MetricsSource;
  /** Invocation records and event-invoke configs (asynchronous invocation); omitted: those routes are not served. */
  asyncRepos?: Pick<Repositories, "invocations" | "functions" | "eventInvokeConfigs" | "auditLogs">;
  /** GET /api/v1/audit; not mounted when unset. */
  audit?: Pick<Repositories, "auditLogs">;
  /** POST /api/v1/admin/secrets/rotate; not mounted when unset. */
  secrets?: SecretsAdminDeps;
  /** API key management (/api/v1/keys); omitted: those routes are not served. */
  keys?: KeyService;
  /** The web console at / (console/console-assets.ts); omitted: the default bundle directory. */
  console?: ConsoleAssetsOptions;
  /** Layers (/api/v1/layers); omitted: those routes are not served. */
  layers?: LayerService;
}

export function createApp(deps: AppDeps) {
  const app = createRouter();

  app.use("*", async (c, next) => {
    c.set("requestId", requestIdFrom(c.req.header(HEADER_REQUEST_ID)));
    await next();
  });
  // The rest of the Lambda prefix (the front door serves its invoke path): bounded before
  // authentication, since SigV4 verification reads the body.
  app.use(
    `${LAMBDA_PATH_PREFIX}*`,
    bodyLimit({
      maxSize: MAX_SYNC_PAYLOAD_BYTES,
      onError: () => {
        throw payloadTooLarge();
      },
    }),
  );
  // The web console's page and assets are public (it signs in against the API like any client),
  // so they are answered before authentication.
  app.route("/", consoleRoutes(deps.console));
  app.use("*", deps.auth);
  if (deps.rateLimit) app.use("*", deps.rateLimit);
  app.use("*", authorizeRoutes() as unknown as MiddlewareHandler<AppEnv>);

  app.route("/", systemRoutes({ ...deps.health, runtimes: () => deps.runner.runtimes(), backend: deps.backend }));
  app.route("/", whoamiRoutes());
  app.route("/", functionsRoutes(deps.functions));
  app.route("/", versionsRoutes(deps.versions));
  app.route("/", aliasesRoutes(deps.aliases));
  app.route("/", deploymentsRoutes(deps.deployments));
  app.route("/", usageRoutes(deps.usage));
  app.route("/", triggersRoutes(deps.triggers));
  app.route("/", logsRoutes(deps.logs));
  if (deps.metrics) app.route("/", metricsRoutes(deps.metrics));
  describeInvoke(app);
  if (deps.asyncRepos) {
    app.route("/", invocationsRoutes(deps.asyncRepos));
    app.route("/", eventInvokeConfigRoutes(deps.asyncRepos));
  }
  if (deps.audit) app.route("/", auditRoutes(deps.audit));
  if (deps.secrets) app.route("/", secretsAdminRoutes(deps.secrets));
  if (deps.keys) app.route("/", keysRoutes(deps.keys));
  if (deps.layers) app.route("/", layersRoutes(deps.layers));

  app.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", {
    type: "http",
    scheme: "bearer",
    description: "Authorization: Bearer hs_<id>_<secret> (an API key) or Bearer <JWT> when the server accepts JWTs",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "HotSwap API",
      version: deps.version,
      description: "Self-hosted serverless functions: versions, weighted aliases, progressive rollouts, invocation.",
    },
    security: [{ ApiKey: [] }],
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json" }));

  app.notFound((c) => {
    const err = new ApiError("RouteNotFound", `No route for ${c.req.method} ${c.req.path}. See /docs for the API.`);
    return c.req.path.startsWith(LAMBDA_PATH_PREFIX) ? lambdaErrorResponse(c, err) : jsonError(c, err);
  });

  app.onError((e, c) => {
    const requestId = c.get("requestId");
    const err = apiErrorOf(e, requestId, deps.log, { method: c.req.method, path: c.req.path });
    if (requestId) c.header(HEADER_REQUEST_ID, requestId);
    if (c.req.path.startsWith(LAMBDA_PATH_PREFIX)) return lambdaErrorResponse(c, err);
    return jsonError(c, err);
  });

  return app;
}

function jsonError(c: Context, err: ApiError): Response {
  return c.body(errorBody(err), err.status as 400, { ...err.headers, "content-type": "application/json" });
}

function lambdaErrorResponse(c: Context, err: ApiError): Response {
  const l = lambdaError(err);
  return c.body(l.body, l.status as 400, { ...err.headers, "content-type": "application/json", "x-amzn-errortype": l.type });
}
