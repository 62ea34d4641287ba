/**
 * What a Scheduled trigger sends its function: EventBridge's Scheduled Event, `time` being the
 * tick (the scheduled time, not when it was fired), and the request id each tick gets: derived
 * from the trigger and the tick, so a tick queued twice (a retried pass) is one invocation.
 */
import { createHash } from "node:crypto";
import { ARN_ACCOUNT, ARN_REGION } from "../async/destinations.ts";

export interface ScheduledEvent {
  version: "0";
  id: string;
  "detail-type": "Scheduled Event";
  source: "aws.events";
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** A UUID-shaped id, the same for the same trigger and tick on every replica. */
export function tickRequestId(triggerId: string, tick: Date): string {
  const h = createHash("sha256").update(`${triggerId}|${tick.toISOString()}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** EventBridge writes times to the second: 2026-12-07T12:00:00Z. */
export function eventTime(tick: Date): string {
  return tick.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function scheduledEvent(triggerId: string, tick: Date, detail: unknown): ScheduledEvent {
  return {
    version: "0",
    id: tickRequestId(triggerId, tick),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: ARN_ACCOUNT,
    time: eventTime(tick),
    region: ARN_REGION,
    resources: [`arn:aws:events:${ARN_REGION}:${ARN_ACCOUNT}:rule/hotswap-trigger-${triggerId}`],
    detail: detail ?? {},
  };
}
