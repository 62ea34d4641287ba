/** /api/v1/keys: API key management (admins only: keys:read, keys:write). */
import type { Context } from "hono";
import { createRouter } from "../openapi.ts";
import type { AppEnv } from "../context.ts";
import type { KeyActor, KeyService } from "../../keys/key-service.ts";
import { create, get, list, revoke, rotate } from "./routes.ts";

function keyActor(c: Context<AppEnv>): KeyActor {
  return { principal: c.get("principal")!, requestId: c.get("requestId") };
}

export function keysRoutes(service: KeyService) {
  const app = createRouter();
  app.openapi(create, async (c) => c.json(await service.create(c.req.valid("json"), keyActor(c)), 201));
  app.openapi(list, async (c) => c.json({ keys: await service.list() }, 200));
  app.openapi(get, async (c) => c.json(await service.get(c.req.valid("param").id), 200));
  app.openapi(revoke, async (c) => {
    await service.revoke(c.req.valid("param").id, keyActor(c));
    return c.body(null, 204);
  });
  app.openapi(rotate, async (c) => c.json(await service.rotate(c.req.valid("param").id, keyActor(c)), 200));
  return app;
}
