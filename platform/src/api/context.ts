/** Hono environment shared by every route: per-request variables set by middleware. */

export interface RequestPrincipal {
  keyId: string;
  role: string;
  method: "bearer" | "sigv4";
}

export type AppEnv = {
  Variables: {
    requestId: string;
    principal?: RequestPrincipal;
  };
};
