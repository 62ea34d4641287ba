/**
 * The control plane's HTTP application: request ids, authentication, every resource's routes,
 * the OpenAPI document at /openapi.json and Swagger UI at /docs, and the one error handler that
 * turns every failure into `{ "error": { "code", "message" } }` (Lambda's format on the Lambda path).
 */
import { randomUUID } from "node:crypto";
import { swaggerUI } from "@hono/swagger-ui";
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { bodyLimit } from "hono/body-limit";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../protocol/limits.ts";
import { payloadTooLarge } from "../router/invoker.ts";
import { createRouter } from "./openapi.ts";
import { ApiError } from "../../../protocol/errors.ts";
import { HEADER_REQUEST_ID } from "../../../protocol/headers.ts";
import type { AppEnv } from "./context.ts";
import { functionsRoutes } from "./functions/index.ts";
import { versionsRoutes } from "./versions/index.ts";
import { aliasesRoutes } from "./aliases/index.ts";
import { deploymentsRoutes } from "./deployments/index.ts";
import { invokeRoutes } from "./invoke/index.ts";
import { LAMBDA_PREFIX, lambdaErrorResponse, lambdaRoutes } from "./lambda/index.ts";
import { systemRoutes, type HealthDeps } from "./system/index.ts";
import type { FunctionService } from "../functions/function-service.ts";
import type { VersionService } from "../functions/version-service.ts";
import type { AliasService } from "../functions/alias-service.ts";
import type { DeploymentService } from "../deployments/deployment-service.ts";
import type { Invoker } from "../router/invoker.ts";
import type { RunnerHandle } from "../../../protocol/runner.ts";

export interface AppDeps {
  functions: FunctionService;
  versions: VersionService;
  aliases: AliasService;
  deployments: DeploymentService;
  invoker: Invoker;
  runner: RunnerHandle;
  health: HealthDeps;
  backend: string;
  /** Authentication middleware; it lets /health, /openapi.json and /docs through. */
  auth: MiddlewareHandler<AppEnv>;
  log: { error(obj: object, msg: string): void };
  version: string;
}

export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

export function createApp(deps: AppDeps) {
  const app = createRouter();

  app.use("*", async (c, next) => {
    const given = c.req.header(HEADER_REQUEST_ID);
    c.set("requestId", given && REQUEST_ID_PATTERN.test(given) ? given : randomUUID());
    await next();
  });
  // Bounded before authentication: SigV4 verification reads the body.
  app.use(
    `${LAMBDA_PREFIX}*`,
    bodyLimit({
      maxSize: MAX_SYNC_PAYLOAD_BYTES,
      onError: () => {
        throw payloadTooLarge();
      },
    }),
  );
  app.use("*", deps.auth);

  app.route("/", systemRoutes({ ...deps.health, runtimes: () => deps.runner.runtimes(), backend: deps.backend }));
  app.route("/", functionsRoutes(deps.functions));
  app.route("/", versionsRoutes(deps.versions));
  app.route("/", aliasesRoutes(deps.aliases));
  app.route("/", deploymentsRoutes(deps.deployments));
  app.route("/", invokeRoutes(deps.invoker));
  app.route("/", lambdaRoutes(deps.invoker));

  app.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", {
    type: "http",
    scheme: "bearer",
    description: "Authorization: Bearer hs_<id>_<secret>",
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
    return c.req.path.startsWith(LAMBDA_PREFIX) ? lambdaErrorResponse(c, err) : c.json(err.toJSON(), 404);
  });

  app.onError((e, c) => {
    const requestId = c.get("requestId");
    let err: ApiError;
    if (e instanceof ApiError) err = e;
    else if (e instanceof HTTPException) err = fromHttpException(e);
    else {
      deps.log.error({ err: e, requestId, method: c.req.method, path: c.req.path }, "unhandled error");
      err = new ApiError("InternalError", `An internal error occurred. Quote request id ${requestId} when reporting it.`);
    }
    if (requestId) c.header(HEADER_REQUEST_ID, requestId);
    if (c.req.path.startsWith(LAMBDA_PREFIX)) return lambdaErrorResponse(c, err);
    return c.json(err.toJSON(), err.status as 400);
  });

  return app;
}

function fromHttpException(e: HTTPException): ApiError {
  switch (e.status) {
    case 400:
      return new ApiError("InvalidRequestContent", `The request body is not valid JSON (${e.message}). Send a JSON document with Content-Type: application/json.`);
    case 413:
      return new ApiError("PayloadTooLarge", "The request body is too large.");
    case 415:
      return new ApiError("UnsupportedMediaType", "Unsupported Content-Type. Send application/json (or application/zip where a zip is expected).");
    case 401:
      return new ApiError("Unauthorized", e.message || "Authentication required.");
    default:
      return new ApiError(e.status >= 500 ? "InternalError" : "ValidationError", e.message || "Request failed.", undefined, e.status);
  }
}
