/**
 * Stage 1, request id: every invocation has one before anything can fail, so errors, logs and the
 * function's awsRequestId agree. HTTP entries bring the caller's (or a fresh one, from the API's
 * envelope); other entries may leave it empty and get a fresh UUID here.
 */
import { randomUUID } from "node:crypto";
import type { Invocation, InvocationHandler } from "./invocation.ts";

export class RequestIdStage implements InvocationHandler {
  constructor(private readonly next: InvocationHandler) {}

  handle(inv: Invocation) {
    if (inv.requestId === "") inv.requestId = randomUUID();
    return this.next.handle(inv);
  }
}
