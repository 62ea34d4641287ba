/**
 * The fleet channel: a persistent, multiplexed connection from the control plane to a runner,
 * carrying invocations as frames of the fast channel's codec (protocol/frame.ts) instead of one
 * HTTP/1.1 request each. It is an HTTP upgrade on the runner's own listener (`GET /v1/channel`,
 * `Upgrade: hotswap-fleet/1`, the cluster secret as on every runner request), so it shares the
 * runner's address and its TLS; a runner that advertises `channel: true` in its heartbeat accepts
 * it, and the HTTP endpoints stay for everything else (and for runners that do not).
 *
 * Frames, control plane → runner:
 *   {"type":"spec","sid":N}                    body: the FunctionSpec as JSON, once per spec object per connection
 *   {"type":"invoke","id":N,"sid":N,"rid":…,   body: the event bytes; "s":1 when the caller takes a streamed
 *     "tp"?,"cc"?,"q"?,"lt"?:1,"s"?:1}         response (Lambda response streaming)
 * runner → control plane:
 *   {"type":"begin","id":N,"ct":…}             invocation N's handler began streaming, in content type ct (only after "s":1)
 *   {"type":"chunk","id":N}                    body: the handler's next bytes, as it wrote them
 *   {"type":"reply","id":N,"o":kind,…}         body: outcomeBody() — the payload, or the error's document/message;
 *                                              "sct": the content type of a response the handler streamed
 *                                              (collected whole when the caller did not ask for "s")
 *   {"type":"goaway"}                          the runner is closing: send new invocations over a new connection
 * Replies are matched by `id`, in any order; a streamed invocation's begin and chunk frames come
 * before its reply, interleaved with other invocations' frames. Every invocation of the HotSwap
 * invoke path can take a stream, so streams must cross this channel: sending them over HTTP
 * instead would send nearly every invocation there.
 */
import { FunctionSpec, type InvokeOutcome, type StartKind } from "./invoke.ts";
import { outcomeOf } from "./fleet.ts";
import type { FrameHeader } from "./frame.ts";

export const RUNNER_PATH_CHANNEL = "/v1/channel";
/** The `Upgrade` token of the fleet channel (its version is in the name). */
export const FLEET_CHANNEL_PROTOCOL = "hotswap-fleet/1";

/** The fields of an invocation that travel beside its spec id and event. */
export interface ChannelInvokeFields {
  requestId: string;
  traceparent?: string;
  clientContext?: string;
  qualifier?: string;
  logTail?: boolean;
  /** The caller takes a streamed response: the runner sends begin and chunk frames as the handler writes. */
  stream?: boolean;
}

/**
 * Header text of an `invoke` frame. Built as text (one per invocation): only the string fields go
 * through JSON.stringify, for their escaping; absent fields are left out.
 */
export function invokeFrameHeader(id: number, sid: number, f: ChannelInvokeFields): string {
  let h = `{"type":"invoke","id":${id},"sid":${sid},"rid":${JSON.stringify(f.requestId)}`;
  if (f.traceparent !== undefined) h += `,"tp":${JSON.stringify(f.traceparent)}`;
  if (f.clientContext !== undefined) h += `,"cc":${JSON.stringify(f.clientContext)}`;
  if (f.qualifier !== undefined) h += `,"q":${JSON.stringify(f.qualifier)}`;
  if (f.logTail === true) h += `,"lt":1`;
  if (f.stream === true) h += `,"s":1`;
  return h + "}";
}

/** The invocation fields of a received `invoke` frame, or a message saying what is wrong with it. */
export function readInvokeFrame(h: FrameHeader): { id: number; sid: number; fields: ChannelInvokeFields } | string {
  const { id, sid, rid } = h as { id?: unknown; sid?: unknown; rid?: unknown };
  if (typeof id !== "number" || typeof sid !== "number" || typeof rid !== "string") return "an invoke frame needs a numeric id and sid and a string rid";
  const fields: ChannelInvokeFields = { requestId: rid };
  if (typeof h.tp === "string") fields.traceparent = h.tp;
  if (typeof h.cc === "string") fields.clientContext = h.cc;
  if (typeof h.q === "string") fields.qualifier = h.q;
  if (h.lt === 1) fields.logTail = true;
  if (h.s === 1) fields.stream = true;
  return { id, sid, fields };
}

/** Header text of a `begin` frame: invocation `id`'s handler began streaming its response. */
export function beginFrameHeader(id: number, contentType: string): string {
  return `{"type":"begin","id":${id},"ct":${JSON.stringify(contentType)}}`;
}

/** Header text of a `chunk` frame of invocation `id` (its body is the handler's bytes). */
export function chunkFrameHeader(id: number): string {
  return `{"type":"chunk","id":${id}}`;
}

/** Decode a `spec` frame's body; throws (with zod's message) when it is not a valid spec. */
export function readSpecBody(body: Buffer): FunctionSpec {
  return FunctionSpec.parse(JSON.parse(body.toString("utf8")));
}

/** Header text of a `reply` frame for `outcome` with the runner's placement data, built as text like invokeFrameHeader(). */
export function replyFrameHeader(id: number, outcome: InvokeOutcome, free: number, inflight: number): string {
  let h = `{"type":"reply","id":${id},"o":"${outcome.kind}","free":${free},"inf":${inflight}`;
  if (outcome.coldStart !== undefined) h += `,"cs":${outcome.coldStart}`;
  if (outcome.start !== undefined) h += `,"st":"${outcome.start}"`;
  if (outcome.durationMs !== undefined && Number.isFinite(outcome.durationMs)) h += `,"d":${outcome.durationMs}`;
  if (outcome.kind === "platform-error") {
    h += `,"ec":${JSON.stringify(outcome.code)}`;
    if (outcome.refused) h += `,"ref":1`;
    if (outcome.errorDocument) h += `,"doc":1`;
  }
  if (outcome.logTail !== undefined) h += `,"lt":${JSON.stringify(outcome.logTail)}`;
  if (outcome.kind !== "platform-error" && outcome.streamed !== undefined) h += `,"sct":${JSON.stringify(outcome.streamed.contentType)}`;
  return h + "}";
}

/** A received `reply` frame as the control plane reads it: the inverse of replyFrameHeader() and outcomeBody(). */
export function readReplyFrame(h: FrameHeader, body: Buffer): { id: number; outcome: InvokeOutcome; free: number | undefined; inflight: number | undefined } | undefined {
  const id = h.id;
  if (typeof id !== "number") return undefined;
  const outcome = outcomeOf(
    {
      kind: typeof h.o === "string" ? h.o : "platform-error",
      code: typeof h.ec === "string" ? h.ec : undefined,
      coldStart: typeof h.cs === "boolean" ? h.cs : undefined,
      start: typeof h.st === "string" ? (h.st as StartKind) : undefined,
      durationMs: typeof h.d === "number" ? h.d : undefined,
      refused: h.ref === 1,
      hasDocument: h.doc === 1,
      logTail: typeof h.lt === "string" ? h.lt : undefined,
      streamed: typeof h.sct === "string" ? h.sct : undefined,
    },
    body,
  );
  const free = typeof h.free === "number" ? h.free : undefined;
  const inflight = typeof h.inf === "number" ? h.inf : undefined;
  return { id, outcome, free, inflight };
}
