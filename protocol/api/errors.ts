/**
 * The body of every error the HotSwap API answers (outside the Lambda-compatible path):
 * `{ "error": { "code", "message", ...details } }`. Codes are protocol/errors.ts's ERROR_STATUS keys.
 */
import { z } from "@hono/zod-openapi";

export const ErrorResponse = z
  .object({
    error: z
      .object({
        code: z.string().openapi({ example: "FunctionNotFound" }),
        message: z.string().openapi({ example: 'Function "hello" does not exist. List functions with GET /api/v1/functions.' }),
      })
      .loose(),
  })
  .openapi("Error");
export type ErrorResponse = z.infer<typeof ErrorResponse>;
