/**
 * Reading an API endpoint that answers Server-Sent Events (a live log tail, a deployment followed
 * live): an async iterator over its events, which closes the connection when the iteration stops
 * (break, return) or `signal` aborts. Any answer but 200 with a body is thrown as the API's failure.
 */
import type { ApiFailure } from "./result.ts";

/** What reading an event stream throws when the API refuses it (404, 400, 403...): the API's failure, in `failure`. */
export class EventStreamRefused extends Error {
  constructor(
    message: string,
    readonly failure: ApiFailure,
  ) {
    super(message);
    this.name = "EventStreamRefused";
  }
}

/** One event as the server sent it; comments (heartbeats) and the retry hint are not events. */
export interface ServerSentEvent {
  type: string;
  id: string;
  data: string;
}

export interface EventStreamRequest {
  url: string;
  headers: Record<string, string>;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** What the caller was doing, for the refusal's message: `following the logs of "hello"`. */
  what: string;
  /** The error to throw when the API refuses the stream. @default EventStreamRefused */
  refused?: new (message: string, failure: ApiFailure) => Error;
}

export async function* readEventStream(req: EventStreamRequest): AsyncGenerator<ServerSentEvent, void, undefined> {
  const abort = new AbortController();
  const signal = req.signal ? AbortSignal.any([req.signal, abort.signal]) : abort.signal;
  const res = await (req.fetch ?? fetch)(req.url, { headers: { accept: "text/event-stream", ...req.headers }, signal });
  if (res.status !== 200 || !res.body) {
    const text = await res.text();
    let error: { code?: string; message?: string } = {};
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
    } catch {
      // not the API's error document
    }
    const failure: ApiFailure = { status: res.status, code: error.code ?? `HTTP${res.status}`, message: error.message ?? text.slice(0, 300) };
    const requestId = res.headers.get("x-request-id");
    if (requestId !== null) failure.requestId = requestId;
    throw new (req.refused ?? EventStreamRefused)(`${req.what} failed (${failure.code}, HTTP ${res.status}): ${failure.message}`, failure);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      let read;
      try {
        read = await reader.read();
      } catch (e) {
        if (signal.aborted) return;
        throw e;
      }
      if (read.done) return;
      buffer += read.value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        const event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event) yield event;
      }
    }
  } finally {
    abort.abort();
    reader.releaseLock();
  }
}

/** One SSE event block; undefined for comments (heartbeats) and the retry hint. */
function parseEvent(block: string): ServerSentEvent | undefined {
  let type = "message";
  let id = "";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    if (colon === 0) continue;
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") type = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  return data.length === 0 ? undefined : { type, id, data: data.join("\n") };
}
