/**
 * Instance side of HotSwap's fast channel (runtimes/PROTOCOL.md): length-prefixed frames over an
 * inherited Unix socket. The hot path parses only the frame header and the event, and writes each
 * reply frame with one socket write.
 */
import { loadHandler, InitFailure } from "./handler-loader.mjs";
import { errorJson, functionInfo, parseEvent, resultJson, runHandler } from "./invoke.mjs";

const PREFIX = 8;

/** Bytes of the staging buffer small reply frames are encoded into. */
const STAGE_BYTES = 64 * 1024;

/**
 * Replies finished in the same tick leave in one write (one syscall per batch of invocations the
 * runner sent together, not one per reply). Small frames are encoded straight into one reused
 * staging buffer and leave as one copy of it; a frame whose body may pass 64 KB gets buffers of
 * its own, so a 5 MB result is not copied twice.
 */
class Outbox {
  constructor(socket) {
    this.socket = socket;
    this.stage = Buffer.allocUnsafeSlow(STAGE_BYTES);
    this.staged = 0; // end of the encoded bytes in stage
    this.sealed = 0; // start of the staged bytes not yet copied into parts
    this.parts = [];
    this.frames = 0;
    this.flush = () => {
      this.seal();
      const parts = this.parts;
      this.parts = [];
      this.frames = 0;
      this.staged = this.sealed = 0;
      if (parts.length === 0) return;
      if (parts.length === 1) socket.write(parts[0]);
      else {
        socket.cork();
        for (const p of parts) socket.write(p);
        socket.uncork();
      }
    };
  }

  /** Queue one frame; `header` is JSON text, `body` a string. */
  frame(header, body) {
    if (this.frames++ === 0) process.nextTick(this.flush);
    // UTF-8 takes at most three bytes per UTF-16 unit: what may not fit in the stage goes apart.
    const most = PREFIX + 3 * (header.length + body.length);
    if (most > STAGE_BYTES) {
      this.seal();
      const hl = Buffer.byteLength(header);
      const bodyBuf = Buffer.from(body, "utf8");
      const head = Buffer.allocUnsafe(PREFIX + hl);
      head.writeUInt32BE(hl, 0);
      head.writeUInt32BE(bodyBuf.length, 4);
      head.write(header, PREFIX, hl, "utf8");
      this.parts.push(head, bodyBuf);
      return;
    }
    if (this.staged + most > STAGE_BYTES) {
      this.seal();
      this.staged = this.sealed = 0;
    }
    const at = this.staged;
    const hl = this.stage.write(header, at + PREFIX, "utf8");
    const bl = body.length === 0 ? 0 : this.stage.write(body, at + PREFIX + hl, "utf8");
    this.stage.writeUInt32BE(hl, at);
    this.stage.writeUInt32BE(bl, at + 4);
    this.staged = at + PREFIX + hl + bl;
  }

  /** Copy the staged bytes not yet in parts into a buffer of their own (the stage is reused). */
  seal() {
    if (this.staged > this.sealed) this.parts.push(Buffer.from(this.stage.subarray(this.sealed, this.staged)));
    this.sealed = this.staged;
  }
}

const INVOKE_PREFIX = Buffer.from('{"type":"invoke","id":"');
const DEADLINE_KEY = Buffer.from('","deadline":');

/**
 * The header of an invoke frame in the compact form the runner writes when it has no trace or
 * client context, `{"type":"invoke","id":"<id>","deadline":<ms>}` with an id of plain ASCII, read
 * without JSON.parse (once per invocation). Anything else returns null and goes through JSON.parse.
 */
export function invokeHeader(buf, start, end) {
  const n = INVOKE_PREFIX.length;
  if (end - start < n + DEADLINE_KEY.length + 2 || buf[end - 1] !== 0x7d /* } */) return null;
  for (let i = 0; i < n; i++) if (buf[start + i] !== INVOKE_PREFIX[i]) return null;
  const idStart = start + n;
  let i = idStart;
  for (; i < end; i++) {
    const c = buf[i];
    if (c === 0x22 /* " */) break;
    if (c === 0x5c /* \ */ || c < 0x20 || c > 0x7e) return null;
  }
  const idEnd = i;
  if (end - idEnd < DEADLINE_KEY.length + 2) return null;
  for (let k = 0; k < DEADLINE_KEY.length; k++) if (buf[idEnd + k] !== DEADLINE_KEY[k]) return null;
  let deadline = 0;
  const digitsStart = idEnd + DEADLINE_KEY.length;
  if (end - 1 - digitsStart > 15) return null; // not an epoch-ms integer JSON.parse would give exactly
  for (let k = digitsStart; k < end - 1; k++) {
    const d = buf[k] - 0x30;
    if (d < 0 || d > 9) return null;
    deadline = deadline * 10 + d;
  }
  return { type: "invoke", id: buf.toString("latin1", idStart, idEnd), deadline };
}

/**
 * Serve the fast channel on `socket` until it closes.
 * @param {import("node:net").Socket} socket
 * @param {{onFatal: (fn: (err: unknown, kind: string) => void) => void}} hooks
 */
export function serveFastChannel(socket, hooks) {
  let handler = null;
  let info = null;
  let initializing = false;
  const outbox = new Outbox(socket);
  /** Request ids in flight, so a fatal error can answer each of them before the process exits. */
  const inflight = new Set();

  const reply = (id, isError, value) => {
    if (!inflight.delete(id)) return;
    const idJson = JSON.stringify(id);
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
      try {
        process.chdir(h.taskRoot);
      } catch (err) {
        throw new InitFailure("Runtime.InvalidTaskRoot", `Cannot use code directory ${h.taskRoot}: ${err.message}`);
      }
      info = functionInfo(process.env);
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
      reply(id, true, { name: "Runtime.NotInitialized", message: "invoke received before a successful init" });
      return;
    }
    let event;
    try {
      event = parseEvent(buf.toString("utf8", start, end));
    } catch (err) {
      reply(id, true, { name: "Runtime.UnmarshalError", message: `The event is not valid JSON: ${err.message}` });
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
    runHandler(handler, info, event, id, h.deadline, undefined, clientContext, (isError, value) => reply(id, isError, value));
  }

  function onFrame(buf, hStart, hEnd, bEnd) {
    const h = invokeHeader(buf, hStart, hEnd) ?? JSON.parse(buf.toString("utf8", hStart, hEnd));
    if (h.type === "invoke") invoke(h, buf, hEnd, bEnd);
    else if (h.type === "init") void init(h);
    // Unknown types are ignored so a newer runner can add messages.
  }

  // Streaming decode: chunks are joined only when a frame spans them, and then only once.
  let pending = null; // Buffer holding an incomplete frame, or null
  let chunks = [];
  let chunkBytes = 0;
  let need = 0;
  socket.on("data", (chunk) => {
    if (pending !== null) {
      chunks.push(chunk);
      chunkBytes += chunk.length;
      if (chunkBytes < need) return;
      chunk = Buffer.concat(chunks, chunkBytes);
      pending = null;
      chunks = [];
    }
    let off = 0;
    const len = chunk.length;
    while (len - off >= PREFIX) {
      const hl = chunk.readUInt32BE(off);
      const bl = chunk.readUInt32BE(off + 4);
      const total = PREFIX + hl + bl;
      if (len - off < total) break;
      onFrame(chunk, off + PREFIX, off + PREFIX + hl, off + total);
      off += total;
    }
    if (off < len) {
      const rest = off === 0 ? chunk : chunk.subarray(off);
      pending = rest;
      chunks = [rest];
      chunkBytes = rest.length;
      need = rest.length >= PREFIX ? PREFIX + rest.readUInt32BE(0) + rest.readUInt32BE(4) : PREFIX;
    }
  });
  socket.on("error", () => process.exit(0));
  socket.on("close", () => process.exit(0));

  hooks.onFatal((err, kind) => {
    if (initializing) {
      sendInitError(new InitFailure(kind === "rejection" ? "Runtime.UnhandledPromiseRejection" : "Runtime.InitError", String(err?.message ?? err)));
      return;
    }
    for (const id of [...inflight]) {
      reply(id, true, kind === "rejection" ? { name: "Runtime.UnhandledPromiseRejection", message: String(err?.stack ?? err) } : err);
    }
    exitAfterFlush(1);
  });
}
