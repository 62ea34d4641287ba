/**
 * Read a request body as bytes with a size limit, straight from Node's IncomingMessage when the
 * app runs on @hono/node-server. Going through `c.req.arrayBuffer()` would build a full WHATWG
 * Request with a ReadableStream and an AbortSignal per call, which dominated the invoke path's
 * CPU profile. Falls back to the portable path elsewhere (app.request() in tests).
 */
import type { Context } from "hono";
import type { IncomingMessage } from "node:http";

export async function readBody(c: Context, limit: number, tooLarge: (size?: number) => Error): Promise<Buffer> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming || typeof incoming.on !== "function" || incoming.readableDidRead || incoming.readableEnded) {
    const buf = Buffer.from(await c.req.arrayBuffer());
    if (buf.length > limit) throw tooLarge(buf.length);
    return buf;
  }
  return readIncoming(incoming, limit, tooLarge);
}

/** Collect an IncomingMessage's body, rejecting with tooLarge() as soon as it passes `limit` bytes. */
export function readIncoming(incoming: IncomingMessage, limit: number, tooLarge: (size?: number) => Error): Promise<Buffer> {
  const declared = Number(incoming.headers["content-length"]);
  if (declared > limit) return Promise.reject(tooLarge(declared));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        incoming.resume(); // drain the rest so the connection can carry the 413
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
    };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
  });
}
