/**
 * Shared pieces of the HTTP API: the router factory (every body validated by zod, failures turned
 * into ValidationError with the offending fields named), the error schema, error responses, and the
 * `{name}` path parameter every function route shares.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError, type ErrorCode } from "../../../protocol/errors.ts";
import type { AppEnv } from "./context.ts";
import { ErrorResponse } from "../../../protocol/api/errors.ts";
import { FunctionName } from "../../../protocol/api/functions.ts";

/** The `{name}` path parameter of every route under /api/v1/functions/{name}. */
export const FunctionNameParam = z.object({ name: FunctionName.openapi({ param: { name: "name", in: "path" } }) });

/** Describe a set of error statuses for a route's `responses`. */
export function errorResponses(...statuses: number[]) {
  const out: Record<number, { description: string; content: { "application/json": { schema: typeof ErrorResponse } } }> = {};
  for (const s of statuses) {
    out[s] = { description: STATUS_TEXT[s] ?? "Error", content: { "application/json": { schema: ErrorResponse } } };
  }
  return out;
}

const STATUS_TEXT: Record<number, string> = {
  400: "Invalid request",
  401: "Missing or invalid credentials",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  413: "Payload too large",
  415: "Unsupported media type",
  429: "No capacity",
  500: "Function or internal error",
  502: "Instance failure",
  503: "Service unavailable",
  504: "Timeout",
};

/** Turn zod issues into one precise sentence per field. */
export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], where: string): string {
  return issues
    .map((i) => {
      const path = i.path.map(String).join(".");
      return path ? `${where} field "${path}": ${i.message}` : `${where}: ${i.message}`;
    })
    .join("; ");
}

export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c: Context) => {
      if (!result.success) {
        const target = (result as { target?: string }).target ?? "request";
        const where = target === "json" ? "body" : target === "param" ? "path" : target;
        throw new ApiError("ValidationError", formatIssues(result.error.issues, where));
      }
      return undefined;
    },
  });
}

export function notFound(code: ErrorCode, message: string): never {
  throw new ApiError(code, message);
}
