/** Who is making a request, for the audit trail. */
import type { Context } from "hono";
import type { AppEnv } from "./context.ts";
import type { Actor } from "../functions/function-service.ts";
import { allows } from "../auth/permissions.ts";

export function actorOf(c: Context<AppEnv>): Actor {
  const p = c.get("principal");
  return { id: p ? p.subject : "anonymous", requestId: c.get("requestId"), ...(p && allows(p, "deployments:approve") ? { canApprove: true } : {}) };
}
