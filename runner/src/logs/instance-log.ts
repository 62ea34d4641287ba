/**
 * One instance's function log: reads its stdout and stderr within the flood budget, splits them
 * into capped lines, attributes each line to an invocation and hands FunctionLogRecords to the
 * sink (the shipper). Attribution: a bootstrap's tag (log-tag.ts) counts only when it names an
 * invocation in flight on this very instance (or one that just ended here, for output read late),
 * so a function cannot write into other instances' invocations;
 * an untagged line (custom runtimes, AWS's RIC) goes to the instance's single in-flight
 * invocation, or to none. It also writes the framing lines and keeps tails for `LogType: Tail`.
 */
import type { Readable } from "node:stream";
import type { FunctionLogRecord, FunctionLogSink, FunctionLogStream } from "../../../protocol/function-logs.ts";
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import { DEFAULT_FLOOD_LIMITS, FloodBudget, droppedMessage, type FloodLimits } from "./flood-budget.ts";
import { endLine, reportLine, startLine } from "./framing-lines.ts";
import type { InstanceLogPort, InvocationLog, InvocationReport } from "./invocation-log.ts";
import { LineSplitter } from "./line-splitter.ts";
import { LogTail } from "./log-tail.ts";
import { parseTag } from "./log-tag.ts";

/** Where an instance's records go, and how much it may write. */
export interface FunctionLogOutput {
  sink: FunctionLogSink;
  /** @default DEFAULT_FLOOD_LIMITS */
  limits?: FloodLimits;
}

export interface InstanceLogOptions {
  instanceId: string;
  output?: FunctionLogOutput;
  /** The version the instance runs now; undefined for a stem not yet specialised (its lines are not function logs). */
  spec(): FunctionSpec | undefined;
  /** Every stderr line's text (tag removed), for crash and init-failure messages. */
  onStderr?(message: string): void;
  /**
   * How long END waits so that output the function wrote before its result is read first. 0: one
   * turn of the event loop (a child's pipes are read in the same poll as its channel); a container's
   * output goes through the Docker daemon and needs longer.
   */
  settleMs: number;
  /** Peak memory of the instance in bytes, for REPORT. */
  maxMemoryUsedBytes(): number | undefined | Promise<number | undefined>;
}

interface Running {
  requestId: string;
  /** The result is in; END is waiting for the output to settle. */
  finishing: boolean;
  tail: LogTail | undefined;
}

/**
 * Request ids that ended on this instance and are still recognised in tags: output a function
 * wrote before its result but that is read after END (a full pipe, the Docker daemon's delay)
 * keeps its own request id instead of landing on the next invocation.
 */
const RECENT_IDS = 64;
/** Least time between two truncation markers while an instance keeps flooding. */
const MARKER_INTERVAL_MS = 1000;

export class InstanceLog implements InstanceLogPort {
  private readonly running = new Map<string, Running>();
  /** Invocations that ended here, oldest first (at most RECENT_IDS), for late tagged lines. */
  private readonly ended = new Map<string, Running>();
  private readonly budget: FloodBudget;
  private lastMarkerAt = 0;
  /** Lines read, for a debug count. */
  lines = 0;

  constructor(private readonly opts: InstanceLogOptions) {
    this.budget = new FloodBudget(opts.output?.limits ?? DEFAULT_FLOOD_LIMITS, Date.now());
  }

  /** Read `stream` to its end (always draining it, whatever is dropped); resolves when it ended. */
  read(stream: Readable, name: "stdout" | "stderr"): Promise<void> {
    const splitter = new LineSplitter((text) => this.line(name, text));
    return new Promise((resolve) => {
      stream.on("data", (chunk: Buffer) => {
        const kept = this.budget.take(chunk.length, Date.now());
        if (kept === chunk.length) {
          if (this.budget.dropped > 0) this.marker(false);
          splitter.push(chunk);
          return;
        }
        if (kept > 0) splitter.push(chunk.subarray(0, kept));
        splitter.flush();
        this.marker(false);
      });
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        splitter.flush();
        this.marker(true);
        resolve();
      };
      stream.once("end", finish);
      stream.once("close", finish);
      stream.on("error", () => {});
    });
  }

  begin(requestId: string, opts: { tail: boolean }): InvocationLog {
    const r: Running = { requestId, finishing: false, tail: opts.tail ? new LogTail() : undefined };
    this.running.set(requestId, r);
    const spec = this.opts.spec();
    if (spec) this.emit(spec, r, "platform", startLine(requestId, spec.version));
    let ended = false;
    return {
      end: (report) => {
        if (ended) return Promise.resolve(undefined);
        ended = true;
        return this.end(r, report);
      },
      abandon: () => {
        ended = true;
        if (this.running.get(requestId) === r) this.running.delete(requestId);
      },
    };
  }

  private async end(r: Running, report: InvocationReport): Promise<string | undefined> {
    r.finishing = true;
    await settle(this.opts.settleMs);
    const spec = this.opts.spec();
    if (spec) {
      if (report.notice) this.emit(spec, r, "platform", report.notice);
      this.marker(true);
      this.emit(spec, r, "platform", endLine(r.requestId));
      let peak: number | undefined;
      try {
        peak = await this.opts.maxMemoryUsedBytes();
      } catch {
        peak = undefined;
      }
      this.emit(
        spec,
        r,
        "platform",
        reportLine({ requestId: r.requestId, durationMs: report.durationMs, memorySizeMb: spec.memorySize, maxMemoryUsedBytes: peak, initDurationMs: report.initMs }),
      );
    }
    if (this.running.get(r.requestId) === r) this.running.delete(r.requestId);
    this.ended.set(r.requestId, { requestId: r.requestId, finishing: true, tail: undefined });
    if (this.ended.size > RECENT_IDS) this.ended.delete(this.ended.keys().next().value!);
    return r.tail?.text();
  }

  private line(stream: "stdout" | "stderr", text: string): void {
    this.lines++;
    let message = text;
    let owner: Running | undefined;
    const tag = parseTag(text);
    if (tag !== undefined) {
      message = tag.message;
      owner = this.running.get(tag.requestId) ?? this.ended.get(tag.requestId);
    }
    if (stream === "stderr") this.opts.onStderr?.(message);
    const spec = this.opts.spec();
    if (spec === undefined) return;
    this.emit(spec, owner ?? this.sole(), stream, message);
  }

  /** The invocation an untagged line belongs to: the only one running (or else the only one finishing). */
  private sole(): Running | undefined {
    let active: Running | undefined;
    let activeCount = 0;
    let finishing: Running | undefined;
    let finishingCount = 0;
    for (const r of this.running.values()) {
      if (r.finishing) {
        finishing = r;
        finishingCount++;
      } else {
        active = r;
        activeCount++;
      }
    }
    if (activeCount === 1) return active;
    if (activeCount === 0 && finishingCount === 1) return finishing;
    return undefined;
  }

  /** The truncation marker, when bytes were dropped: at most once a second while flooding, or now (`force`). */
  private marker(force: boolean): void {
    if (this.budget.dropped === 0) return;
    const now = Date.now();
    if (!force && now - this.lastMarkerAt < MARKER_INTERVAL_MS) return;
    this.lastMarkerAt = now;
    const dropped = this.budget.takeDropped();
    const spec = this.opts.spec();
    if (spec) this.emit(spec, this.sole(), "platform", droppedMessage(dropped, this.budget.limits));
  }

  private emit(spec: FunctionSpec, r: Running | undefined, stream: FunctionLogStream, message: string): void {
    r?.tail?.push(message);
    const sink = this.opts.output?.sink;
    if (sink === undefined) return;
    const record: FunctionLogRecord = {
      functionName: spec.functionName,
      version: spec.version,
      requestId: r?.requestId ?? null,
      instanceId: this.opts.instanceId,
      at: Date.now(),
      stream,
      message,
    };
    sink.write([record]);
  }
}

function settle(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}
