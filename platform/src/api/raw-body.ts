/**
 * Reading a request body as bytes with a size limit, straight from Node's IncomingMessage: the
 * front door's one body reader. Going through a WHATWG Request (`c.req.arrayBuffer()`) would build
 * a ReadableStream and an AbortSignal per call, which dominated the invoke path's CPU profile.
 */
import type { IncomingMessage } from "node:http";

/**
 * Collect an IncomingMessage's body, rejecting with tooLarge() as soon as it passes `limit` bytes.
 * Hot path of every invocation: the listeners are module-level functions reading their state
 * from the message, so a request allocates no closures.
 */
export function readIncoming(incoming: IncomingMessage, limit: number, tooLarge: (size?: number) => Error): Promise<Buffer> {
  const declared = Number(incoming.headers["content-length"]);
  if (declared > limit) return Promise.reject(tooLarge(declared));
  return new Promise<Buffer>((resolve, reject) => {
    (incoming as Reading)[BODY] = { chunks: [], size: 0, limit, tooLarge, resolve, reject };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
  });
}

const BODY = Symbol("hotswap.body");

interface BodyState {
  chunks: Buffer[];
  size: number;
  limit: number;
  tooLarge: (size?: number) => Error;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

type Reading = IncomingMessage & { [BODY]?: BodyState };

function onData(this: Reading, chunk: Buffer): void {
  const st = this[BODY]!;
  st.size += chunk.length;
  if (st.size > st.limit) {
    finish(this);
    this.resume(); // drain the rest so the connection can carry the 413
    st.reject(st.tooLarge());
    return;
  }
  st.chunks.push(chunk);
}

function onEnd(this: Reading): void {
  // The listeners stay: the message is done and goes away with the request.
  const st = this[BODY]!;
  this[BODY] = undefined;
  st.resolve(st.chunks.length === 1 ? st.chunks[0]! : Buffer.concat(st.chunks, st.size));
}

function onError(this: Reading, e: Error): void {
  if (this[BODY] !== undefined) finish(this).reject(e); // an error after the end changes nothing
}

function finish(incoming: Reading): BodyState {
  const st = incoming[BODY]!;
  incoming[BODY] = undefined;
  incoming.off("data", onData);
  incoming.off("end", onEnd);
  incoming.off("error", onError);
  return st;
}
