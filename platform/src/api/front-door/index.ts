/**
 * The front door: one node:http handler in front of Hono that answers every invocation over HTTP,
 * HotSwap's invoke path and the Lambda-compatible ones (Invoke, InvokeWithResponseStream), through the invocation pipeline. On this
 * path the web-standard Request/Response adaptation, routing and validation would cost more than
 * the whole hop to the instance (measured: a bare http server driving the same runner reaches
 * ~0.7× a bare handler server, a Hono route ~0.3×). Everything else goes to the Hono app.
 * Each endpoint runs guarded: an unexpected error is a logged 500, never a throw out of the listener.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Tracer } from "@opentelemetry/api";
import type { InvocationPipeline } from "../../invocation/pipeline.ts";
import type { ErrorLog } from "../envelope.ts";
import { guarded } from "./guard.ts";
import { serveInvoke } from "./invoke-endpoint.ts";
import { serveLambdaInvoke } from "./lambda-endpoint.ts";

export interface FrontDoorDeps {
  /** The invocation pipeline, with the authenticators. */
  pipeline: InvocationPipeline;
  log: ErrorLog;
  /** The Http trigger routes under /fn (triggers/http-gateway.ts): true when it took the request. */
  httpTriggers?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** A server span per request when tracing is on (request-trace.ts); the traceparent is answered either way. */
  tracer?: Tracer;
}

const INVOKE_PATH = /^\/api\/v1\/functions\/([^/?#]+)\/invoke(?:\?([^#]*))?(?:#.*)?$/;
const LAMBDA_INVOKE_PATH = /^\/2015-03-31\/functions\/([^/?#]+)\/invocations(?:\?([^#]*))?(?:#.*)?$/;
const LAMBDA_STREAM_PATH = /^\/2021-11-15\/functions\/([^/?#]+)\/response-streaming-invocations(?:\?([^#]*))?(?:#.*)?$/;

/** Returns a request handler that answers invocations and returns false for everything else. */
export function createFrontDoor(deps: FrontDoorDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (deps.httpTriggers?.(req, res)) return true;
    if (req.method !== "POST" || !req.url) return false;
    let m = INVOKE_PATH.exec(req.url);
    if (m) {
      const segment = m[1]!, query = m[2];
      guarded(req, res, deps.log, "hotswap", () => serveInvoke(deps, req, res, segment, query));
      return true;
    }
    m = LAMBDA_INVOKE_PATH.exec(req.url);
    if (m) {
      const segment = m[1]!, query = m[2];
      guarded(req, res, deps.log, "lambda", () => serveLambdaInvoke(deps, req, res, segment, query));
      return true;
    }
    m = LAMBDA_STREAM_PATH.exec(req.url);
    if (m) {
      const segment = m[1]!, query = m[2];
      guarded(req, res, deps.log, "lambda", () => serveLambdaInvoke(deps, req, res, segment, query, "stream"));
      return true;
    }
    return false;
  };
}
