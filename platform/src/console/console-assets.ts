/**
 * Serves the web console's bundle (console/dist, built by scripts/build-console.ts) without
 * credentials: `GET /` is its index.html and `GET /console/assets/<file>` its hashed script and
 * stylesheet. Every answer carries a strict Content-Security-Policy (only this origin's own
 * scripts, styles and API; no inline code, no frames), nosniff and no-referrer; hashed assets are
 * cached for a year as immutable, index.html is revalidated every time. A missing bundle is a 503
 * that says how to build it. The console signs in against the API like any client; nothing here
 * reads a credential.
 */
import { readFile, readdir } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono, type Context } from "hono";

/** Where `npm run build:console` writes the bundle, from this module's place in the tree. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../../console/dist/", import.meta.url));

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

/** Asset names as esbuild writes them: no slashes, no dot-dot, nothing a path could escape with. */
const ASSET_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.(?:js|css|svg|png)$/;

const SECURITY_HEADERS = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

export interface ConsoleAssetsOptions {
  /** The built bundle's directory. @default DEFAULT_CONSOLE_DIR */
  dir?: string;
}

/** The console's public routes (Hono paths): no credentials, no permission; the API's permission table does not list them. */
export const CONSOLE_ROUTE_PATHS: readonly string[] = ["/", "/console/assets/:file"];

/** A Hono router for `/` and `/console/assets/*`; mount it before authentication. */
export function consoleRoutes(opts: ConsoleAssetsOptions = {}): Hono {
  const dir = opts.dir ?? DEFAULT_CONSOLE_DIR;
  const app = new Hono();

  const notBuilt = (c: Context) =>
    c.body(
      `The HotSwap console is not built in ${dir}. Run "npm run build:console" (npm install and npm start build it too), then reload. The API is under /api/v1 and documented at /docs.\n`,
      503,
      { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    );

  app.get("/", async (c) => {
    let html: Buffer;
    try {
      html = await readFile(join(dir, "index.html"));
    } catch {
      return notBuilt(c);
    }
    return c.body(new Uint8Array(html), 200, { ...SECURITY_HEADERS, "content-type": CONTENT_TYPES[".html"]!, "cache-control": "no-cache" });
  });

  app.get("/console/assets/:file", async (c) => {
    const file = c.req.param("file");
    const missing = () =>
      c.body(JSON.stringify({ error: { code: "RouteNotFound", message: `No console asset "${file}". Reload the console at / to get the current bundle.` } }), 404, {
        ...SECURITY_HEADERS,
        "content-type": "application/json",
        "cache-control": "no-store",
      });
    if (!ASSET_NAME.test(file)) return missing();
    // Only names the bundle holds: the directory listing, not the request, decides what exists.
    const names = await readdir(join(dir, "assets")).catch(() => [] as string[]);
    if (!names.includes(file)) return missing();
    const body = await readFile(join(dir, "assets", file));
    return c.body(new Uint8Array(body), 200, {
      ...SECURITY_HEADERS,
      "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "public, max-age=31536000, immutable",
    });
  });

  return app;
}
