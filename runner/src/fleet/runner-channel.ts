/**
 * The runner's end of one fleet channel (protocol/fleet-channel.ts): a control plane's upgraded
 * connection carrying many invocations at once. Specs arrive once per connection and are decoded
 * once; each `invoke` frame runs through the same path as `POST /v1/invoke`, and its reply frame
 * leaves with the other replies of the same event-loop turn in one write. An invocation whose
 * caller takes a stream gets a sink that sends the handler's bytes as begin and chunk frames. While the socket cannot
 * take more bytes, reading stops (backpressure reaches the control plane through TCP).
 * A frame this end cannot read ends the connection: the control plane reports what was in flight
 * on it as lost, as it would for a dropped HTTP connection.
 */
import type { Duplex } from "node:stream";
import type { FunctionSpec, InvokeOutcome, ResponseStreamSink } from "../../../protocol/invoke.ts";
import { FrameBatch, FrameDecoder, type Frame } from "../../../protocol/frame.ts";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../protocol/limits.ts";
import { outcomeBody } from "../../../protocol/fleet.ts";
import { beginFrameHeader, chunkFrameHeader, readInvokeFrame, readSpecBody, replyFrameHeader, type ChannelInvokeFields } from "../../../protocol/fleet-channel.ts";

/** What a session needs from the runner server. */
export interface ChannelHost {
  runInvocation(
    spec: FunctionSpec,
    fields: ChannelInvokeFields,
    payload: Buffer,
    done: (outcome: InvokeOutcome) => void,
    failed: (e: unknown) => void,
    stream?: ResponseStreamSink,
  ): void;
  freeSlots(spec: FunctionSpec): number;
  readonly inflightCount: number;
  log: { warn(obj: object, msg: string): void };
}

/** Slack over the 6 MB event limit for a frame's header and JSON framing a caller may add. */
const MAX_FRAME_BYTES = MAX_SYNC_PAYLOAD_BYTES + 256 * 1024;
const GOAWAY = JSON.stringify({ type: "goaway" });

export class RunnerChannelSession {
  /** Decoded specs by the id the control plane gave them; a string is why one could not be decoded. */
  private readonly specs = new Map<number, FunctionSpec | string>();
  private readonly decoder: FrameDecoder;
  private readonly out = new FrameBatch();
  private running = 0;
  private closing = false;
  private ended = false;

  constructor(
    private readonly socket: Duplex,
    private readonly host: ChannelHost,
    private readonly onEnd: (s: RunnerChannelSession) => void,
  ) {
    this.decoder = new FrameDecoder((f) => this.onFrame(f), { maxFrameBytes: MAX_FRAME_BYTES });
    socket.on("data", (chunk: Buffer) => this.feed(chunk));
    socket.on("drain", () => socket.resume());
    socket.on("error", () => {});
    socket.on("close", () => {
      this.ended = true;
      onEnd(this);
    });
  }

  /** Bytes received from the control plane (the upgrade's leftover bytes come through here too). */
  feed(chunk: Buffer): void {
    try {
      this.decoder.push(chunk);
    } catch (e) {
      this.host.log.warn({ err: e }, "fleet channel: unreadable frame from the control plane; closing the connection");
      this.socket.destroy();
    }
  }

  /** Say goaway and end the connection once the invocations running on it have answered. */
  close(): void {
    if (this.closing || this.ended) return;
    this.closing = true;
    this.send(GOAWAY);
    this.endIfIdle();
  }

  /** Drop the connection now. */
  destroy(): void {
    this.socket.destroy();
  }

  private onFrame(f: Frame): void {
    const type = f.header.type;
    if (type === "invoke") return this.invoke(f);
    if (type === "spec") {
      const sid = f.header.sid;
      if (typeof sid !== "number") throw new Error("a spec frame needs a numeric sid");
      let spec: FunctionSpec | string;
      try {
        spec = readSpecBody(f.body);
      } catch (e) {
        spec = `invalid spec: ${(e as Error).message}`;
      }
      this.specs.set(sid, spec);
      return;
    }
    // Unknown frame types are ignored: a newer control plane may send what this runner does not know.
  }

  private invoke(f: Frame): void {
    const call = readInvokeFrame(f.header);
    if (typeof call === "string") throw new Error(call);
    const spec = this.specs.get(call.sid);
    if (spec === undefined || typeof spec === "string") {
      const message = spec ?? `the invocation names spec ${call.sid}, which this connection never received`;
      return this.reply(call.id, { kind: "platform-error", code: "InternalError", message }, undefined);
    }
    this.running++;
    const id = call.id;
    const sink: ResponseStreamSink | undefined = call.fields.stream
      ? { begin: (contentType) => this.send(beginFrameHeader(id, contentType)), write: (chunk) => this.send(chunkFrameHeader(id), chunk) }
      : undefined;
    this.host.runInvocation(
      spec,
      call.fields,
      f.body,
      (outcome) => {
        this.running--;
        this.reply(call.id, outcome, spec);
      },
      (e) => {
        this.running--;
        this.host.log.warn({ err: e }, "unexpected error in an invocation");
        this.reply(call.id, { kind: "platform-error", code: "InternalError", message: "An internal error occurred in the runner; see its log." }, spec);
      },
      sink,
    );
  }

  private reply(id: number, outcome: InvokeOutcome, spec: FunctionSpec | undefined): void {
    if (this.ended) return;
    const free = spec === undefined ? 0 : this.host.freeSlots(spec);
    this.send(replyFrameHeader(id, outcome, free, this.host.inflightCount), outcomeBody(outcome));
    this.endIfIdle();
  }

  private send(header: string, body?: Buffer): void {
    if (this.ended) return;
    // Frames of one event-loop turn leave in one write (setImmediate: after every read of this poll).
    if (this.out.frames === 0) setImmediate(this.flush);
    this.out.add(header, body);
  }

  private readonly flush = (): void => {
    if (this.ended) return void this.out.take();
    let ok = true;
    for (const part of this.out.take()) ok = this.socket.write(part);
    if (this.closing && this.running === 0) this.socket.end();
    // Stop reading new invocations until the peer has taken what is written.
    else if (!ok) this.socket.pause();
  };

  private endIfIdle(): void {
    if (this.closing && this.running === 0 && this.out.frames === 0 && !this.ended) this.socket.end();
  }
}
