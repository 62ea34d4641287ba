/** Hono environment shared by every route: per-request variables set by middleware. */
import type { Principal } from "../auth/principal.ts";

export type AppEnv = {
  Variables: {
    requestId: string;
    principal?: Principal;
  };
};
