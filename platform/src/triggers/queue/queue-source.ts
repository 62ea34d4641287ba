/**
 * The port every queue broker adapter implements for Queue triggers (Redis Streams, RabbitMQ,
 * NATS JetStream): receive messages for one trigger, then settle each one exactly one way (ack
 * after success, retry after a delay, or dead-letter). An adapter keeps the messages it holds
 * from being redelivered elsewhere while it holds them, and counts deliveries so that
 * `maxReceiveCount` holds across consumers, replicas and crashes.
 */

/** One message as the broker delivered it. */
export interface QueueMessage {
  /** Stable across redeliveries: the Record's messageId and the batchItemFailures identifier. */
  readonly messageId: string;
  readonly body: string;
  /** 1 on the first delivery. */
  readonly receiveCount: number;
  /** When the message was published (ms since the epoch), when the broker says. */
  readonly sentTimestamp: number;
  /** Headers or extra fields published with the message. */
  readonly messageAttributes: Record<string, string>;
  /** The adapter's own handle (a stream entry, an AMQP message, a JetStream message). */
  readonly handle: unknown;
}

export interface QueueReceiver {
  /**
   * Up to `max` messages, waiting up to `waitMs` for the first; fewer (or none) when the wait ends
   * or `signal` aborts. Rejects when the broker connection is broken (the caller reopens).
   */
  receive(max: number, waitMs: number, signal: AbortSignal): Promise<QueueMessage[]>;
  /** Done: the broker forgets the message. */
  ack(m: QueueMessage): Promise<void>;
  /** Deliver it again (receiveCount + 1) after `delayMs`. */
  retry(m: QueueMessage, delayMs: number): Promise<void>;
  /** Publish it to the dead-letter destination, then ack it. */
  deadLetter(m: QueueMessage, why: string): Promise<void>;
  /** Stop; messages still held go back to the broker (at once, or once they are stale). */
  close(): Promise<void>;
}

/** Opens a receiver for one trigger (one connection per trigger: its failures stay its own). */
export type OpenReceiver = () => Promise<QueueReceiver>;

/** A failed message's delay before its next delivery: `baseMs` doubled per receive, at most 15 minutes. */
export function retryDelay(baseMs: number, receiveCount: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, Math.min(receiveCount - 1, 30)), 15 * 60_000);
}
