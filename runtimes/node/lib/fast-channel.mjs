/**
 * Instance side of HotSwap's fast channel (runtimes/PROTOCOL.md): the messages over an inherited
 * Unix socket (or a connected one), framed by ./frame.mjs. The hot path parses only the frame
 * header and the event, and the replies of one tick leave in one socket write (Outbox).
 */
import { createFrameReader, FrameError, invokeHeader, Outbox, readHeader } from "./frame.mjs";
import { loadHandler, InitFailure } from "./handler-loader.mjs";
import { errorJson, functionInfo, parseEvent, resultJson, runHandler, runtimeError, traceNextInvocation } from "./invoke.mjs";
import { invocationTrace } from "./trace-context.mjs";
import { setLogConcurrency } from "./log-capture.mjs";

/**
 * Serve the fast channel on `socket` until it closes.
 * @param {import("node:net").Socket} socket
 * @param {{onFatal: (fn: (err: unknown, kind: string) => void) => void}} hooks
 */
export function serveFastChannel(socket, hooks) {
  let handler = null;
  let info = null;
  let initializing = false;
  /** Invocations the runner may send at once (the init frame's `concurrency`). */
  let concurrency = 1;
  const outbox = new Outbox(socket);
  /** Request ids in flight, so a fatal error can answer each of them before the process exits. */
  const inflight = new Set();
  /** Request ids whose handler began a streamed response (`chunk` frames sent). */
  const streaming = new Set();

  const reply = (id, isError, value) => {
    if (!inflight.delete(id)) return;
    const idJson = JSON.stringify(id);
    if (streaming.delete(id) && !isError) {
      // The bytes went out as chunks: an empty result ends the stream.
      outbox.frame(`{"type":"result","id":${idJson}}`, "");
      return;
    }
    if (isError) {
      outbox.frame(`{"type":"error","id":${idJson}}`, errorJson(value));
      return;
    }
    const r = resultJson(value);
    if (r.ok) outbox.frame(`{"type":"result","id":${idJson}}`, r.json);
    else outbox.frame(`{"type":"error","id":${idJson}}`, r.error);
  };

  const exitAfterFlush = (code) => {
    outbox.flush(); // the last replies go before the write whose callback exits
    socket.write(Buffer.alloc(0), () => process.exit(code));
    setTimeout(() => process.exit(code), 200).unref();
  };

  const sendInitError = (failure) => {
    outbox.frame('{"type":"initError"}', JSON.stringify(failure.toPayload()));
    exitAfterFlush(1);
  };

  async function init(h) {
    if (handler || initializing) return; // a second init is a runner bug; ignore rather than reload
    initializing = true;
    try {
      const env = h.env ?? {};
      for (const k of Object.keys(env)) process.env[k] = String(env[k]);
      process.env.LAMBDA_TASK_ROOT = h.taskRoot;
      process.env._HANDLER = h.handler;
      process.env.AWS_LAMBDA_FUNCTION_NAME = h.functionName;
      process.env.AWS_LAMBDA_FUNCTION_VERSION = String(h.functionVersion);
      process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = String(h.memorySize);
      process.env.AWS_REGION ??= "us-east-1";
      concurrency = Number(h.concurrency) || 1;
      try {
        process.chdir(h.taskRoot);
      } catch (err) {
        throw new InitFailure("Runtime.InvalidTaskRoot", `Cannot use code directory ${h.taskRoot}: ${err.message}`);
      }
      info = functionInfo(process.env);
      setLogConcurrency(Number(h.concurrency ?? 1));
      handler = await loadHandler(h.taskRoot, h.handler);
      outbox.frame('{"type":"ready"}', "");
    } catch (err) {
      sendInitError(err instanceof InitFailure ? err : new InitFailure("Runtime.InitError", String(err?.message ?? err)));
    } finally {
      initializing = false;
    }
  }

  function invoke(h, buf, start, end) {
    const id = h.id;
    inflight.add(id);
    if (!handler) {
      reply(id, true, runtimeError("Runtime.NotInitialized", "invoke received before a successful init"));
      return;
    }
    let event;
    try {
      event = parseEvent(buf.toString("utf8", start, end));
    } catch (err) {
      reply(id, true, runtimeError("Runtime.UnmarshalError", `The event is not valid JSON: ${err.message}`));
      return;
    }
    let clientContext;
    if (h.clientContext) {
      try {
        clientContext = JSON.parse(Buffer.from(h.clientContext, "base64").toString("utf8"));
      } catch {
        clientContext = undefined;
      }
    }
    traceNextInvocation(invocationTrace(h.traceparent, undefined, concurrency));
    const arn = h.qualifier ? `${info.invokedFunctionArn}:${h.qualifier}` : undefined;
    runHandler(handler, info, event, id, h.deadline, arn, clientContext, (isError, value) => reply(id, isError, value), chunkTransport);
  }

  /** Where a streaming handler's bytes go: `chunk` frames, the first carrying the content type. */
  function chunkTransport(id) {
    const header = `{"type":"chunk","id":${JSON.stringify(id)}}`;
    return {
      begin(contentType) {
        if (!inflight.has(id)) return;
        streaming.add(id);
        outbox.frame(`{"type":"chunk","id":${JSON.stringify(id)},"contentType":${JSON.stringify(contentType)}}`, "");
      },
      write(bytes) {
        if (inflight.has(id)) outbox.frameBytes(header, bytes);
      },
    };
  }

  function onFrame(buf, hStart, hEnd, bEnd) {
    const h = invokeHeader(buf, hStart, hEnd) ?? readHeader(buf, hStart, hEnd);
    if (h.type === "invoke") invoke(h, buf, hEnd, bEnd);
    else if (h.type === "init") void init(h);
    // Unknown types are ignored so a newer runner can add messages.
  }

  const reader = createFrameReader(onFrame);
  let corrupt = false;
  socket.on("data", (chunk) => {
    if (corrupt) return;
    try {
      reader.push(chunk);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      // A corrupt or oversized frame cannot be skipped (the stream cannot be resynchronised): say
      // why on stderr, send the replies already made, and leave; the runner sees the channel close.
      corrupt = true;
      process.stderr.write(`hotswap bootstrap: ${err.message}; closing the channel\n`);
      exitAfterFlush(1);
    }
  });
  socket.on("error", () => process.exit(0));
  socket.on("close", () => process.exit(0));

  hooks.onFatal((err, kind) => {
    if (initializing) {
      sendInitError(kind === "rejection" ? new InitFailure("Runtime.UnhandledPromiseRejection", String(err)) : new InitFailure(err?.name || "Error", String(err?.message ?? err)));
      return;
    }
    // First say so: the runner then sends nothing more here and runs the next call on a new instance.
    outbox.frame('{"type":"exiting"}', "");
    for (const id of [...inflight]) {
      reply(id, true, kind === "rejection" ? runtimeError("Runtime.UnhandledPromiseRejection", String(err)) : err);
    }
    exitAfterFlush(1);
  });
}
