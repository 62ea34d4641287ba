/**
 * Instance side of the AWS Lambda Runtime API: the classic /next → handler → /response loop,
 * with keep-alive connections and, when HOTSWAP_CONCURRENCY=N, N loops at once
 * (as Lambda Managed Instances run concurrent /next callers). A streaming handler's response is
 * one chunked `/response` in streaming mode, written as the handler writes, a failure part-way
 * told by the error trailers (as AWS's runtime interface client does).
 */
import http from "node:http";
import { InitFailure, loadHandler } from "./handler-loader.mjs";
import { errorJson, functionInfo, parseEvent, resultJson, runHandler, runtimeError, traceNextInvocation } from "./invoke.mjs";
import { invocationTrace } from "./trace-context.mjs";
import { setLogConcurrency } from "./log-capture.mjs";

const BASE = "/2018-06-01/runtime";

/** One HTTP exchange with the Runtime API. Resolves with status, headers and the body text. */
function request(agent, host, port, method, path, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host, port, method, path, headers }, (res) => {
      const parts = [];
      res.on("data", (c) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setNoDelay(true);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** Split AWS_LAMBDA_RUNTIME_API, `host:port` (the host may be a bracketed IPv6 address). */
function parseApiAddress(apiAddress) {
  const colon = apiAddress.lastIndexOf(":");
  return { host: apiAddress.slice(0, colon).replace(/^\[|\]$/g, ""), port: Number(apiAddress.slice(colon + 1)) };
}

/**
 * The client context from its header: JSON whose UTF-8 bytes arrive as a Latin-1 string (Node
 * reads header bytes one character each), so decode those bytes back as UTF-8.
 */
export function parseClientContext(header) {
  try {
    return JSON.parse(Buffer.from(String(header), "latin1").toString("utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Run the Runtime API protocol against `apiAddress` ("host:port") until the process is stopped.
 * @param {{onFatal: (fn: (err: unknown, kind: string) => void) => void}} hooks
 */
export async function serveRuntimeApi(apiAddress, env, hooks) {
  const { host, port } = parseApiAddress(apiAddress);
  const concurrency = Math.max(1, Number(env.HOTSWAP_CONCURRENCY ?? env.AWS_LAMBDA_MAX_CONCURRENCY ?? 1) || 1);
  setLogConcurrency(concurrency);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency * 2 });
  const call = (method, path, body, headers) => request(agent, host, port, method, path, body, headers);
  const unreachable = (err) => {
    process.stderr.write(`hotswap bootstrap: the Runtime API at ${apiAddress} is unreachable (${err?.message ?? err}); exiting\n`);
    process.exit(1);
  };

  let handler;
  const taskRoot = env.LAMBDA_TASK_ROOT ?? process.cwd();
  try {
    if (!env._HANDLER) throw new InitFailure("Runtime.MalformedHandlerName", "_HANDLER is not set");
    try {
      process.chdir(taskRoot);
    } catch (err) {
      throw new InitFailure("Runtime.InvalidTaskRoot", `Cannot use code directory ${taskRoot}: ${err.message}`);
    }
    handler = await loadHandler(taskRoot, env._HANDLER);
  } catch (err) {
    const failure = err instanceof InitFailure ? err : new InitFailure("Runtime.InitError", String(err?.message ?? err));
    const body = JSON.stringify(failure.toPayload());
    await call("POST", `${BASE}/init/error`, body, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(body),
      "Lambda-Runtime-Function-Error-Type": failure.errorType,
    }).catch(() => {});
    process.exit(1);
  }
  const info = functionInfo(env);
  /** Request ids in flight, answered with an error if the process hits a fatal error. */
  const inflight = new Set();

  const post = (id, kind, body, errorType) => {
    const headers = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) };
    if (errorType) headers["Lambda-Runtime-Function-Error-Type"] = errorType;
    return call("POST", `${BASE}/invocation/${encodeURIComponent(id)}/${kind}`, body, headers);
  };

  /** The streamed `/response` requests in progress, by request id. */
  const streams = new Map();
  const openStream = (id) => ({
    begin(contentType) {
      const headers = {
        "Content-Type": contentType,
        "Transfer-Encoding": "chunked",
        "Lambda-Runtime-Function-Response-Mode": "streaming",
        Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
      };
      let req;
      const done = new Promise((resolve, reject) => {
        req = http.request({ agent, host, port, method: "POST", path: `${BASE}/invocation/${encodeURIComponent(id)}/response`, headers }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
          res.on("error", reject);
        });
        req.on("error", reject);
      });
      req.setNoDelay(true);
      req.flushHeaders();
      streams.set(id, { req, done });
    },
    write(bytes) {
      streams.get(id)?.req.write(bytes);
    },
  });

  const settle = (id, isError, value) => {
    inflight.delete(id);
    const stream = streams.get(id);
    if (stream !== undefined) {
      streams.delete(id);
      if (isError) {
        const body = errorJson(value);
        stream.req.addTrailers({
          "Lambda-Runtime-Function-Error-Type": JSON.parse(body).errorType,
          "Lambda-Runtime-Function-Error-Body": Buffer.from(body).toString("base64"),
        });
      }
      stream.req.end();
      return stream.done;
    }
    if (isError) {
      const body = errorJson(value);
      return post(id, "error", body, "Unhandled");
    }
    const r = resultJson(value);
    return r.ok ? post(id, "response", r.json) : post(id, "error", r.error, "Error");
  };

  hooks.onFatal((err, kind) => {
    const value = kind === "rejection" ? runtimeError("Runtime.UnhandledPromiseRejection", String(err)) : err;
    const pending = [...inflight].map((id) => settle(id, true, value).catch(() => {}));
    Promise.all(pending).finally(() => process.exit(1));
    setTimeout(() => process.exit(1), 500).unref();
  });

  async function loop() {
    for (;;) {
      const next = await call("GET", `${BASE}/invocation/next`);
      if (next.status !== 200) {
        process.stderr.write(`hotswap bootstrap: /next answered ${next.status}: ${next.body}\n`);
        process.exit(1);
      }
      const id = String(next.headers["lambda-runtime-aws-request-id"] ?? "");
      const deadline = Number(next.headers["lambda-runtime-deadline-ms"] ?? Date.now() + 3000);
      const arn = next.headers["lambda-runtime-invoked-function-arn"];
      const trace = invocationTrace(next.headers.traceparent, next.headers["lambda-runtime-trace-id"], concurrency);
      const cc = next.headers["lambda-runtime-client-context"];
      const clientContext = cc ? parseClientContext(cc) : undefined;
      let event;
      try {
        event = parseEvent(next.body);
      } catch (err) {
        await settle(id, true, runtimeError("Runtime.UnmarshalError", `The event is not valid JSON: ${err.message}`));
        continue;
      }
      inflight.add(id);
      const outcome = await new Promise((resolve) => {
        traceNextInvocation(trace);
        runHandler(handler, info, event, id, deadline, arn ? String(arn) : undefined, clientContext, (isError, value) =>
          resolve({ isError, value }),
        openStream);
      });
      const res = await settle(id, outcome.isError, outcome.value);
      if (res.status >= 500) {
        process.stderr.write(`hotswap bootstrap: the Runtime API answered ${res.status}; exiting\n`);
        process.exit(1);
      }
    }
  }

  for (let i = 0; i < concurrency; i++) loop().catch(unreachable);
}
